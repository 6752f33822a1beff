"""``bpf_rbtree_add``'s ``less()`` callback, as Linux 6.18 verifies it (kernel/bpf/verifier.c).

``check_kfunc_call()`` checks the arguments of ``bpf_rbtree_add_impl(root, node, less, ..)``,
then, before the node's owning reference goes into the tree, ``push_callback_call()`` pushes a
branch that enters ``less`` in a new frame set up by ``set_rbtree_add_callback_state()``:

- R1 and R2 point at a ``struct bpf_rb_node`` inside the root's ``__contains`` type
  (``mark_reg_graph_node()``: ``PTR_TO_BTF_ID | MEM_ALLOC`` at the node's offset), both
  non-owning (``ref_set_non_owning()``); R3-R5 are not initialized;
- ``in_callback_fn``, with the return range [0, 1] every sync callback has.

The branch is a copy of the caller's state, so the callback runs *in the lock*: a helper or
most kfuncs inside it fail with "function calls are not allowed while holding a lock"
(``do_check_insn()``). ``in_rbtree_lock_required_cb()`` (the current frame is a callback
called by an rbtree kfunc) adds two refusals: ``bpf_spin_{lock,unlock}``
(``check_func_arg()``, ARG_PTR_TO_SPIN_LOCK) and any rbtree kfunc taking a non-owning node
(``check_kfunc_args()``, KF_ARG_PTR_TO_RB_NODE: ``bpf_rbtree_remove`` ...). The callback's
exit goes back to the call, which runs again (``prepare_func_exit()``). (The node-argument
check and ``in_rbtree_lock_required_cb()`` live in :mod:`.graph`, which this module builds on.)

>>> sorted(graph.RBTREE_API_KFUNCS)[:2]
['bpf_rbtree_add_impl', 'bpf_rbtree_first']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kfunclab.verifier import messages as msg
from kfunclab.verifier import records
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.regs import NOT_INIT, RegType
from kfunclab.verifier.rules import graph
from kfunclab.verifier.rules.graph import in_rbtree_lock_required_cb
from kfunclab.verifier.state import FuncState, VState

if TYPE_CHECKING:
    from kfunclab.verifier.branching import Branches
    from kfunclab.verifier.rules.graph import KfuncMeta

_EACCES = 13


def check_spin_lock_in_cb(env: Env, state: VState) -> None:
    """``check_func_arg()`` ARG_PTR_TO_SPIN_LOCK: no lock or unlock in an rbtree callback."""
    if in_rbtree_lock_required_cb(env, state):
        raise Reject(msg.RBTREE_CB_SPIN_LOCK, errno=_EACCES)


def push_rbtree_add_callback(env: Env, state: VState, meta: KfuncMeta, idx: int,
                             explorer: Branches) -> None:
    """``push_callback_call(.., set_rbtree_add_callback_state)`` for ``bpf_rbtree_add_impl``,
    called after its arguments were checked (``meta.graph_root`` is the root's field)."""
    from kfunclab.verifier.callbacks import push_callback_call

    less = state.regs[3]
    if less.type is not RegType.PTR_TO_FUNC:  # checked by the arguments already
        raise Reject(msg.KFUNC_CALLBACK_EXPECTED.format(arg=2), errno=22)
    root = meta.graph_root
    if root is None or root.contains is None:
        raise Reject("verifier internal error: bpf_rbtree_add without its root", errno=14)
    if records.local_has_refcount(env.program, root.contains[0]):
        # ref_set_non_owning() adds MEM_RCU for a type with a bpf_refcount: not modelled
        raise Unsupported("bpf_rbtree_add's less() callback on refcounted nodes "
                          "(non-owning MEM_RCU references) is not modelled", idx)
    node = graph.set_non_owning(env, graph.node_return(env, meta))

    def set_state(env: Env, caller: FuncState, callee: FuncState) -> None:
        """``set_rbtree_add_callback_state()``."""
        del env, caller
        callee.regs[1] = node
        callee.regs[2] = node
        for regno in (3, 4, 5):
            callee.regs[regno] = NOT_INIT

    push_callback_call(env, state, idx, less.extra[0], set_state, explorer)  # type: ignore[arg-type]
