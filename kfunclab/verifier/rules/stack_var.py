"""Stack accesses at a variable offset and stack alignment (split out of ``rules/memory.py``).

- :func:`check_alignment_stack`: ``check_generic_ptr_alignment()`` with ``strict``, on the tnum;
- :func:`stack_write_var`: ``check_stack_write_var_off()`` for a privileged loader;
- :func:`stack_byte`: which slot and which of its bytes a stack address is.

>>> stack_byte(-8), stack_byte(-1)
((0, 7), (0, 0))
"""

from __future__ import annotations

from kfunclab.verifier import messages as msg
from kfunclab.verifier import scalar as sc
from kfunclab.verifier.dynptr_slots import destroy_if_dynptr_stack_slot
from kfunclab.verifier.env import Env, Reject
from kfunclab.verifier.precision import mark_chain_precision
from kfunclab.verifier.regs import Reg
from kfunclab.verifier.state import EMPTY_SLOT, StackSlot, VState


def stack_byte(addr: int) -> tuple[int, int]:
    """(slot index, byte index within the slot's types) of stack byte ``fp + addr``."""
    slot = -addr - 1
    return slot // 8, slot % 8


def check_alignment_stack(reg: Reg, off: int, size: int) -> None:
    """``check_generic_ptr_alignment()`` with ``strict``: stack accesses are always aligned.

    The test is on the tnum ``var_off + off``, so a variable offset whose low bits may be set is
    misaligned too (``(0x0; 0x4)`` for an 8-byte access); 1-byte accesses always pass (the
    kernel returns early for them; the mask ``size - 1`` is 0 here).
    """
    value, mask = reg.var.var_off
    if ((value + reg.off + off) | mask) & (size - 1):
        raise Reject(msg.MISALIGNED_STACK.format(tn=_tnum_strn(reg.var), off=reg.off, extra=off,
                                                 size=size))


def _tnum_strn(x: sc.Scalar) -> str:
    """``tnum_strn()`` (kernel/bpf/log.c): a known value in decimal up to U16_MAX, else hex."""
    value, mask = x.var_off
    if mask:
        return f"({value:#x}; {mask:#x})"
    return str(value) if value <= 0xFFFF else f"{value:#x}"


def stack_write_var(env: Env, state: VState, reg: Reg, off: int, size: int,
                     value_regno: int = -1, imm: int | None = None) -> None:
    """``check_stack_write_var_off()``: every byte the write may touch becomes MISC (privileged).

    Writing a known zero keeps what is already zero: a STACK_ZERO byte stays STACK_ZERO and a
    byte of a spilled scalar 0 keeps the spill, and then the zero is made precise. Any other
    spill the write may touch is erased and its whole slot scrubbed to MISC.
    """
    value = state.regs[value_regno] if value_regno >= 0 else None
    writing_zero = value.is_null if value is not None else imm == 0
    zero_used = False
    lo, hi = reg.var.smin + off, reg.var.smax + off + size
    for spi in sorted({stack_byte(addr)[0] for addr in range(lo, hi)}, reverse=True):
        destroy_if_dynptr_stack_slot(env, state, state.cur, spi)
    for addr in range(lo, hi):
        spi, byte = stack_byte(addr)
        slot = state.cur.stack.get(spi, EMPTY_SLOT)
        if writing_zero and slot.types[byte] == "r" and slot.is_spill \
                and slot.spilled.is_null:
            zero_used = True
            continue
        types = list(slot.types)
        if slot.types[7] in "rdif":
            # the spill is erased and the slot scrubbed: every byte not STACK_INVALID becomes
            # MISC, its zeros too (the running 6.18 prints fp-8=mmmmmmmm after a var-offset
            # write into the zero half of a 4-byte spill)
            types = ["m" if c != "?" else c for c in types]
        new = "m"
        if writing_zero and types[byte] == "0":
            new = "0"
            zero_used = True
        types[byte] = new
        state.cur.stack[spi] = StackSlot("".join(types))
    if zero_used and value_regno >= 0:
        mark_chain_precision(env, state, {value_regno})
