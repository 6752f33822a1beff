"""The verifier's scalar abstract domain, as the Linux 6.18 verifier computes it.

A :class:`Scalar` is what ``struct bpf_reg_state`` knows about a ``SCALAR_VALUE``: a tracked
number (:class:`~kfunclab.verifier.tnum.Tnum`) plus signed and unsigned bounds for the full 64-bit
register and for its low 32-bit subregister. Every operation here mirrors the kernel function that
computes it (named in each docstring), including the kernel's deliberate imprecision: the log
prints these values, and pruning compares them, so "more precise" would be wrong.

Operations are pure functions returning new values; ids, precision marks and linked registers
belong to the register state, not to this module.

"Linux 6.18" means the 6.18 stable series as the live 6.18.44 kernel behaves (checked against its
log on thousands of random programs), which carries fixes newer than v6.18 itself:

- ``reg_bounds_sync`` runs ``__reg_deduce_bounds`` three times, deduces s32/u32 ranges that
  cross the sign boundary, and ``__update_reg64_bounds`` snaps to a constant when the u64 range
  and the tnum share a single value (``tnum_step``);
- ADD/SUB keep wrapped unsigned bounds when every sum overflows alike, MUL uses signed products,
  NEG and BPF_END (byte swaps) are tracked, ``<<= 32`` keeps negative s32 bounds;
- JEQ/JNE use ``tnum_overlap``; the false side of JSET forgets the ranges;
- DIV/MOD are never tracked, and comparing a register with itself is refined like any pair;
- AND/OR with a constant split a {-1, 0} destination into two states (:func:`fork_scalars`).

The domain is split along the kernel's seams: :mod:`.bounds` (``reg_bounds_sync`` on plain ints),
:mod:`.value` (the :class:`Scalar`, sanity check, ``within`` and the log text), :mod:`.casts`
(zero/sign extension, loads), :mod:`.transfer` (ALU ops) and :mod:`.branches` (jumps). Import
from here; the modules are the layout, not the interface.

>>> r0 = alu(AluOp.AND, Scalar.unknown(), Scalar.const(7), wide=True)
>>> format_scalar(r0)
'scalar(smin=smin32=0,smax=umax=smax32=umax32=7,var_off=(0x0; 0x7))'
>>> format_scalar(alu(AluOp.ADD, r0, Scalar.const(5), wide=True), id=1, add_const=5)
'scalar(id=1+5,smin=umin=smin32=umin32=5,smax=umax=smax32=umax32=12,var_off=(0x0; 0xf))'
>>> branch_taken(JmpOp.JGT, r0, Scalar.const(7), wide=True)
False
"""

from kfunclab.isa.insn import AluOp, EndianKind, JmpOp
from kfunclab.verifier.scalar.bounds import (
    DEDUCE_ROUNDS,  # a copy: the switch itself is bounds.DEDUCE_ROUNDS
    S32_MAX,
    S32_MIN,
    S64_MAX,
    S64_MIN,
    TNUM_STEP,  # a copy: the switch itself is bounds.TNUM_STEP
)
from kfunclab.verifier.scalar.branches import branch_taken, refine
from kfunclab.verifier.scalar.casts import load_result, sign_extend, truncate
from kfunclab.verifier.scalar.transfer import ZERO, alu, endian, fork_scalars, linked_add, neg
from kfunclab.verifier.scalar.value import (
    UNKNOWN,
    Scalar,
    bounds_violation,
    format_ranges,
    format_scalar,
    is_sane,
    sanity_check,
    sync,
    within,
)
from kfunclab.verifier.tnum import U32, U64, Tnum

__all__ = [
    "DEDUCE_ROUNDS",
    "S32_MAX",
    "S32_MIN",
    "S64_MAX",
    "S64_MIN",
    "TNUM_STEP",
    "U32",
    "U64",
    "UNKNOWN",
    "ZERO",
    "AluOp",
    "EndianKind",
    "JmpOp",
    "Scalar",
    "Tnum",
    "alu",
    "bounds_violation",
    "branch_taken",
    "endian",
    "fork_scalars",
    "format_ranges",
    "format_scalar",
    "is_sane",
    "linked_add",
    "load_result",
    "neg",
    "refine",
    "sanity_check",
    "sign_extend",
    "sync",
    "truncate",
    "within",
]
