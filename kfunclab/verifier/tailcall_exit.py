"""The path after ``bpf_tail_call`` in a subprogram (``check_helper_call()``, Linux 6.18).

A tail call from a subprogram may return (the called program ran and came back through the
JIT's tail-call frame) or fail and fall through. The kernel explores both: the fall-through is
pushed as a branch at the next instruction (R0 unset, packet pointers kept), and the current
path is the one that came back: packet pointers die (``clear_all_pkt_pointers()``), R0 is an
unknown scalar, and the subprogram returns to its caller (``prepare_func_exit()``; for a
``bpf_loop``-style callback, with the callback's return check). The rules before the call are
:mod:`kfunclab.verifier.tailcall`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kfunclab.verifier.callbacks import exit_callback
from kfunclab.verifier.calls import exit_subprog
from kfunclab.verifier.cfg.checks import is_tail_call
from kfunclab.verifier.env import Env
from kfunclab.verifier.helper_protos import clear_packet_pointers
from kfunclab.verifier.regs import UNKNOWN_SCALAR
from kfunclab.verifier.state import VState

if TYPE_CHECKING:
    from kfunclab.verifier.branching import Branches


def after_tail_call_in_subprog(env: Env, state: VState, idx: int, explorer: Branches) -> int:
    """A tail call in a subprogram: push the fall-through, return to the caller on this path
    (the next instruction index)."""
    explorer.push_branch(state, idx + 1, idx)
    clear_packet_pointers(state)
    state.regs[0] = UNKNOWN_SCALAR
    if state.frames[-1].cb:  # a sync callback: R0 must be in its return range
        return exit_callback(env, state, explorer)  # type: ignore[arg-type]
    return exit_subprog(env, state)


def next_after_call(env: Env, state: VState, insn: object, idx: int, explorer: Branches) -> int:
    """The instruction after a helper or kfunc call: the next one, except after a tail call in
    a subprogram (:func:`after_tail_call_in_subprog`)."""
    if len(state.frames) > 1 and is_tail_call(insn):
        return after_tail_call_in_subprog(env, state, idx, explorer)
    return idx + 1
