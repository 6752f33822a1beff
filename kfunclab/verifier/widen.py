"""``widen_imprecise_scalars()``: how a loop's counter stops making every iteration a new state.

Linux 6.18 calls it in three places, always with the checkpoint of the previous iteration
(``find_prev_entry()``) and the state about to run the next one: an open-coded iterator's
``*_next`` call (``process_iter_next_call()``), a ``may_goto`` (``check_cond_jmp_op()``) and a
callback's return to a ``bpf_loop``-like helper (``prepare_func_exit()``). A scalar in any frame,
register or spilled slot, that is imprecise on both sides and not ``regs_exact()`` to its old
value becomes unknown, so the next visit can be pruned against the checkpoint.

>>> from kfunclab.verifier.regs import UNKNOWN_SCALAR, const
>>> from kfunclab.verifier.state import VState, initial_frame
>>> old, cur = VState([initial_frame(const(0))]), VState([initial_frame(const(0))])
>>> old.regs[6], cur.regs[6] = const(1), const(2)
>>> widen_imprecise_scalars(old, cur)
>>> cur.regs[6] is UNKNOWN_SCALAR
True
"""

from __future__ import annotations

from kfunclab.verifier.equiv import IdMap, regs_exact
from kfunclab.verifier.regs import UNKNOWN_SCALAR, Reg, RegType
from kfunclab.verifier.state import StackSlot, VState


def find_prev_entry(cur: VState, idx: int) -> VState | None:
    """``find_prev_entry()``: the checkpoint at ``idx`` of the previous iteration.

    The kernel takes the most recent state stored at ``idx`` that is still on the current DFS
    path (``branches != 0``), older than ``cur`` and with the same call sites; on a path those
    are ``cur``'s ancestors, starting past the checkpoint just stored for this visit.
    """
    prev = cur.parent.parent if cur.parent is not None else None
    while prev is not None and (prev.insn_idx != idx or not same_callsites(prev, cur)):
        prev = prev.parent
    return prev


def same_callsites(a: VState, b: VState) -> bool:
    """``same_callsites()``: the same call chain (one loop, not the same loop called twice)."""
    return len(a.frames) == len(b.frames) and all(
        fa.callsite == fb.callsite for fa, fb in zip(a.frames, b.frames, strict=True))


def widen_imprecise_scalars(old: VState, cur: VState) -> None:
    """Widen, in ``cur``, every imprecise scalar that changed since ``old`` (in place)."""
    idmap = IdMap()  # one scratch map for the whole state: the kernel resets it once
    for fold, fcur in zip(old.frames, cur.frames, strict=False):
        for r, (rold, rcur) in enumerate(zip(fold.regs, fcur.regs, strict=True)):
            if _widens(rold, rcur, idmap):
                fcur.regs[r] = UNKNOWN_SCALAR
        for spi, slot in list(fcur.stack.items()):
            old_slot = fold.stack.get(spi)
            # is_spilled_reg() on both sides: the slot's last byte is STACK_SPILL
            if old_slot is None or old_slot.types[7] != "r" or slot.types[7] != "r":
                continue
            if _widens(old_slot.spilled, slot.spilled, idmap):
                fcur.stack[spi] = StackSlot(slot.types, UNKNOWN_SCALAR)


def _widens(rold: Reg, rcur: Reg, idmap: IdMap) -> bool:
    """``maybe_widen_reg()``: both scalars, neither precise, not ``regs_exact()``."""
    if rold.type is not RegType.SCALAR or rcur.type is not RegType.SCALAR:
        return False
    return not (rold.precise or rcur.precise or regs_exact(rold, rcur, idmap))
