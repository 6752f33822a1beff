"""``r1 += K`` links: the constant delta between registers that share a scalar id.

``adjust_reg_min_max_vals()`` keeps ``dst``'s id after ``dst += K`` / ``dst -= K`` (K a known
constant) and records the delta in ``off`` with the ``BPF_ADD_CONST`` flag, so a later branch
on the original register can refine this one (``sync_linked_regs()``) and ``regsafe()`` can
tell linked scalars apart. The running 6.18 kernels carry the stable backport of upstream
7a433e519364 ("bpf: Support negative offsets, BPF_SUB, and alu32 for linked register
tracking"): negative deltas, ``-=``, and 32-bit operations (``BPF_ADD_CONST32``, only when the
upper half of ``dst`` was zero before). A register already linked by a delta loses its id.

The flag is kept in ``Reg.extra``: ``("add_const",)`` for a 64-bit link (``BPF_ADD_CONST64``),
``("add_const", 32)`` for a 32-bit one; ``extra[:1] == ("add_const",)`` tests for either.

>>> from kfunclab.verifier.scalar import Scalar
>>> from kfunclab.isa.insn import AluOp
>>> link_delta(AluOp.SUB, True, Scalar.const(4), 0xFFFF)
(-4, ('add_const',))
>>> link_delta(AluOp.ADD, False, Scalar.const(1), 0x1_0000_0000) is None
True
"""

from __future__ import annotations

from kfunclab.isa.insn import AluOp
from kfunclab.verifier.scalar import Scalar

_S32_MIN = -(1 << 31)
_S32_MAX = (1 << 31) - 1
U32_MAX = 0xFFFF_FFFF
ADD_CONST64 = ("add_const",)
ADD_CONST32 = ("add_const", 32)


def _s32(v: int) -> int:
    v &= U32_MAX
    return v - (1 << 32) if v >> 31 else v


def link_delta(op: AluOp, wide: bool, operand: Scalar,
               dst_umax: int) -> tuple[int, tuple] | None:
    """(delta, flag) for ``dst op= operand`` when ``dst`` has an id and carries no delta yet;
    None when the result must lose its id. ``dst_umax``: ``dst``'s umax before the operation.
    """
    if op is not AluOp.ADD and op is not AluOp.SUB:
        return None
    if not (operand.is_const if wide else operand.is_const32):
        return None
    val = operand.const_value if wide else operand.const_value & U32_MAX
    if wide:
        sval = val - (1 << 64) if val >> 63 else val
        if not _S32_MIN <= sval <= _S32_MAX:
            return None
    elif dst_umax > U32_MAX:
        return None  # an alu32 op on a value with upper bits would break value - off == C
    off = _s32(val)
    if op is AluOp.SUB:
        if off == _S32_MIN:  # its negation overflows
            return None
        off = -off
    return off, (ADD_CONST64 if wide else ADD_CONST32)
