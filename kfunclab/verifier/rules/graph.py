"""Graph kfuncs and the objects they hold: ``bpf_list_*``, ``bpf_rbtree_*``, their locks.

Linux 6.18 (kernel/bpf/verifier.c) lets a program keep ``bpf_obj_new`` objects in lists and
red-black trees whose roots (``struct bpf_list_head``, ``struct bpf_rb_root``) live in a map
value or in another allocated object, next to a ``struct bpf_spin_lock`` that must be held for
every operation. What the kernel checks, and where:

- ``check_kfunc_args()``: a root argument is a map value or an allocated object with the root
  at a constant offset (``__process_kf_arg_ptr_to_graph_root``) and its lock held
  (``check_reg_allocation_locked``: the lock of the same allocation, by ``reg->id`` and map
  or BTF); a node argument is an owned allocated object whose node is the one the root's
  ``__contains(T, node)`` names (``__process_kf_arg_ptr_to_graph_node``).
- ``check_kfunc_call()``: a push/add turns the node's owning reference into non-owning ones
  (``ref_convert_owning_non_owning``) and releases it; pop/remove return an owning reference
  to the container, front/back/first/root/left/right a non-owning one
  (``mark_reg_graph_node``).
- ``bpf_spin_unlock`` forgets every non-owning reference (``invalidate_non_owning_refs``).

>>> GRAPH_ARGS["bpf_list_head"]
('bpf_list_head', 'bpf_list_node')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from kfunclab.isa.insn import Call, CallKind
from kfunclab.isa.program import Member
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.records import (
    FIELD_KINDS,
    GRAPH_ARGS,
    SPECIAL_FIELD_KINDS,
    lock_owner,
    record_find,
    reg_record,
    spin_lock_off,
)
from kfunclab.verifier.references import each_reg, set_reg_at
from kfunclab.verifier.regs import NOT_INIT, UNKNOWN_SCALAR, Reg, RegType, TypeFlag, reg_type_str
from kfunclab.verifier.state import RefKind

if TYPE_CHECKING:
    from kfunclab.verifier.state import VState


class KfuncMeta(Protocol):
    """What the graph rules read and write of ``kfunc_args.KfuncMeta`` (which imports them)."""

    kfunc: Any
    graph_root: Member | None


_EINVAL, _EACCES = 22, 13


# --- arguments ---------------------------------------------------------------------------------
def _tnum(reg: Reg) -> str:
    """``tnum_strn()``: ``(value; mask)`` in hex."""
    value, mask = reg.var.var_off
    return f"({value:#x}; {mask:#x})"


def _const_off(reg: Reg) -> int | None:
    return reg.off + reg.var.const_value if reg.var.is_const else None


def _check_arg_reg_off(reg: Reg, regno: int) -> None:
    """``check_func_arg_reg_off()`` for a non-release argument."""
    t = reg.type
    if t in (RegType.PTR_TO_STACK, RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META,
             RegType.PTR_TO_MAP_KEY, RegType.PTR_TO_MAP_VALUE, RegType.PTR_TO_MEM,
             RegType.PTR_TO_BUF, RegType.SCALAR) and not reg.flags & TypeFlag.MAYBE_NULL:
        return
    fixed_ok = t is RegType.PTR_TO_BTF_ID and not reg.flags & TypeFlag.MAYBE_NULL
    if not reg.var.is_const:
        raise Reject(msg.PTR_VARIABLE_OFFSET.format(type=reg_type_str(t, reg.flags),
                                                    var_off=_tnum(reg)), errno=_EACCES)
    if reg.off < 0:
        raise Reject(f"negative offset {reg_type_str(t, reg.flags)} ptr R{regno} off={reg.off} "
                     "disallowed", errno=_EACCES)
    if reg.off and not fixed_ok:
        raise Reject(f"dereference of modified {reg_type_str(t, reg.flags)} ptr R{regno} "
                     f"off={reg.off} disallowed", errno=_EACCES)


def _is_alloc(reg: Reg) -> bool:
    """``reg->type == (PTR_TO_BTF_ID | MEM_ALLOC)``: exactly, so not a non-owning ref."""
    return reg.type is RegType.PTR_TO_BTF_ID and reg.flags == TypeFlag.ALLOC


def graph_arg(env: Env, state: VState, meta: KfuncMeta, i: int, regno: int, reg: Reg,
              tname: str) -> None:
    """One ``KF_ARG_PTR_TO_{LIST_HEAD,LIST_NODE,RB_ROOT,RB_NODE}`` argument."""
    name = meta.kfunc.name
    root_t, node_t = GRAPH_ARGS[tname]
    if reg.is_null or reg.flags & TypeFlag.MAYBE_NULL:
        # the live 6.18 kernel refuses a maybe-NULL graph argument as it does a trusted one
        # (rbtree_fail's rbtree_api_use_unchecked_remove_retval)
        raise Reject(msg.KFUNC_POSSIBLY_NULL.format(arg=i), errno=_EACCES)
    _check_arg_reg_off(reg, regno)
    if tname == root_t:
        if reg.type is not RegType.PTR_TO_MAP_VALUE and not _is_alloc(reg):
            raise Reject(msg.GRAPH_ROOT_EXPECTED.format(arg=i), errno=_EINVAL)
        if reg.type is RegType.PTR_TO_BTF_ID and not reg.ref_obj_id:
            raise Reject(msg.KFUNC_ALLOC_NOT_REFERENCED, errno=_EINVAL)
        _root_arg(env, state, meta, regno, reg, root_t)
        return
    if tname == "bpf_list_node" or name == "bpf_rbtree_add_impl":
        if not _is_alloc(reg):
            raise Reject(msg.KFUNC_ALLOC_EXPECTED.format(arg=i), errno=_EINVAL)
        if not reg.ref_obj_id:
            raise Reject(msg.KFUNC_ALLOC_NOT_REFERENCED, errno=_EINVAL)
    else:
        non_owning = (reg.type is RegType.PTR_TO_BTF_ID and reg.flags & TypeFlag.ALLOC
                      and reg.flags & TypeFlag.NON_OWN_REF)  # type_is_non_owning_ref()
        if not non_owning and not reg.ref_obj_id:
            raise Reject(msg.GRAPH_NODE_NON_OWNING.format(name=name), errno=_EINVAL)
        check_node_api_in_cb(env, state, name)
    _node_arg(env, meta, regno, reg, root_t, node_t)


def _root_arg(env: Env, state: VState, meta: KfuncMeta, regno: int, reg: Reg,
              root_t: str) -> None:
    """``__process_kf_arg_ptr_to_graph_root()``."""
    off = _const_off(reg)
    if off is None:
        raise Reject(msg.GRAPH_VAR_OFFSET.format(regno=regno, field=root_t), errno=_EINVAL)
    rec = reg_record(env, reg)
    field = record_find(rec, off, FIELD_KINDS[root_t])
    if field is None:
        raise Reject(msg.GRAPH_FIELD_NOT_FOUND.format(field=root_t, off=off & 0xFFFFFFFF),
                     errno=_EINVAL)
    held = _lock_held(state, reg)
    if held is not True:
        context = (msg.GRAPH_LOCK_OTHER_ALLOCATION,) if held is False else ()
        raise Reject(msg.GRAPH_LOCK_NOT_HELD.format(off=spin_lock_off(rec), field=root_t),
                     context, errno=_EINVAL)
    meta.graph_root = field


def _lock_held(state: VState, reg: Reg) -> bool | None:
    """``check_reg_allocation_locked()``: None without any lock, False for another lock."""
    if not state.active_locks:
        return None
    owner = lock_owner(reg)
    return any(r.kind is RefKind.LOCK and r.id == reg.id and r.owner == owner
               for r in state.refs)


def _node_arg(env: Env, meta: KfuncMeta, regno: int, reg: Reg, root_t: str,
              node_t: str) -> None:
    """``__process_kf_arg_ptr_to_graph_node()``: the node the root's ``__contains`` names."""
    off = _const_off(reg)
    if off is None:
        raise Reject(msg.GRAPH_VAR_OFFSET.format(regno=regno, field=node_t), errno=_EINVAL)
    rec = reg_record(env, reg)
    if record_find(rec, off, FIELD_KINDS[node_t]) is None:
        raise Reject(msg.GRAPH_FIELD_NOT_FOUND.format(field=node_t, off=off & 0xFFFFFFFF),
                     errno=_EINVAL)
    root: Member | None = meta.graph_root
    if root is None or root.contains is None:  # the root argument comes first
        raise Reject(f"verifier internal error: {node_t} argument without its root",
                     errno=14)
    want_type, node_name = root.contains
    value = env.program.local_named(want_type)
    node = next((m for m in value.members if m.name == node_name), None) \
        if value is not None else None
    want = node.offset if node is not None else -1
    if value is None or rec is None or rec.btf_id != value.btf_id:
        raise Reject(msg.GRAPH_NODE_WRONG_TYPE.format(
            root=root_t, node=node_t, want=want, want_type=want_type, off=off,
            got_type=rec.name if rec is not None else reg.btf_name), errno=_EINVAL)
    if off != want:
        raise Reject(msg.GRAPH_NODE_WRONG_OFFSET.format(off=off, node=node_t, want=want,
                                                        want_type=want_type), errno=_EINVAL)


def callback_arg(i: int, reg: Reg) -> None:
    """``KF_ARG_PTR_TO_CALLBACK``: the argument is a subprogram's address."""
    if reg.type is not RegType.PTR_TO_FUNC:
        raise Reject(msg.KFUNC_CALLBACK_EXPECTED.format(arg=i), errno=_EINVAL)


#: is_bpf_rbtree_api_kfunc(): the kfuncs whose callbacks run in the tree's lock
RBTREE_API_KFUNCS = frozenset({"bpf_rbtree_add_impl", "bpf_rbtree_remove", "bpf_rbtree_first",
                               "bpf_rbtree_root", "bpf_rbtree_left", "bpf_rbtree_right"})


def in_rbtree_lock_required_cb(env: Env, state: VState) -> bool:
    """``in_rbtree_lock_required_cb()``: the *current* frame is a sync callback whose call site
    is an rbtree kfunc (a subprogram the callback calls is not)."""
    if len(state.frames) < 2:
        return False
    callee = state.frames[-1]
    if callee.cb != "cb" or callee.callsite < 0:
        return False
    call = env.program.insns[callee.callsite]
    return isinstance(call, Call) and call.kind is CallKind.KFUNC \
        and call.name in RBTREE_API_KFUNCS


def check_node_api_in_cb(env: Env, state: VState, name: str) -> None:
    """``check_kfunc_args()`` KF_ARG_PTR_TO_RB_NODE (not ``bpf_rbtree_add``): refused in an
    rbtree callback, after the non-owning-or-refcounted check."""
    if in_rbtree_lock_required_cb(env, state):
        raise Reject(msg.RBTREE_CB_NOT_ALLOWED.format(name=name), errno=_EINVAL)


# --- after the arguments -------------------------------------------------------------------------
def drop_site_type(env: Env, reg: Reg, idx: int) -> None:
    """``insn_aux->kptr_struct_meta`` of a ``bpf_obj_drop`` call: one record per call site.

    The live kernel refuses a site reached first with an object that has special fields and
    then with another type; other mixes are not modelled."""
    sites: dict[int, int | None] = env.__dict__.setdefault("obj_drop_sites", {})
    rec = reg_record(env, reg)
    special = rec is not None and any(  # btf_find_struct_meta() finds a record
        m.kind in SPECIAL_FIELD_KINDS or m.kind.value.startswith("kptr") for m in rec.members)
    key = rec.btf_id if rec is not None and special else None
    if idx not in sites:
        sites[idx] = key
        return
    first = sites[idx]
    if first == key:
        return
    if first is None:
        raise Unsupported("one bpf_obj_drop call site reached with objects of different types "
                          "(the first without special fields) is not modelled", idx)
    *context, last = msg.OBJ_DROP_MIXED_TYPES
    raise Reject(last, tuple(context), errno=_EINVAL)


def set_non_owning(env: Env, reg: Reg) -> Reg:
    """``ref_set_non_owning()``: NON_OWN_REF. (The kernel adds MEM_RCU for types with a
    ``bpf_refcount``; kfunclab answers unsupported for those before.)"""
    return reg.evolve(flags=reg.flags | TypeFlag.NON_OWN_REF, ref_obj_id=0)


def convert_owning_non_owning(env: Env, state: VState, ref_obj_id: int) -> None:
    """``ref_convert_owning_non_owning()``: every copy of the node becomes non-owning."""
    for fno, _place, reg, key in list(each_reg(state)):
        if reg.ref_obj_id == ref_obj_id:
            set_reg_at(state, fno, key, set_non_owning(env, reg))


def invalidate_non_owning_refs(env: Env, state: VState) -> None:
    """``invalidate_non_owning_refs()`` at ``bpf_spin_unlock``: ``mark_reg_invalid()``."""
    invalid = UNKNOWN_SCALAR if env.allow_ptr_leaks else NOT_INIT
    for fno, _place, reg, key in list(each_reg(state)):
        if reg.type is RegType.PTR_TO_BTF_ID and reg.flags & TypeFlag.NON_OWN_REF:
            set_reg_at(state, fno, key, invalid)


def node_return(env: Env, meta: KfuncMeta) -> Reg:
    """``mark_reg_graph_node()``: R0 points at the node inside the root's container type."""
    root: Member | None = meta.graph_root
    want_type, node_name = root.contains if root is not None and root.contains else ("", "")
    value = env.program.local_named(want_type)
    node = next((m for m in value.members if m.name == node_name), None) \
        if value is not None else None
    return Reg(RegType.PTR_TO_BTF_ID, flags=TypeFlag.ALLOC,
               btf_id=value.btf_id if value is not None else 0, btf_name=want_type,
               local=True, off=node.offset if node is not None else 0)
