"""Branches: is ``if a op b`` decided, and what each side learns (``reg_set_min_max``).

>>> branch_taken(JmpOp.JGT, Scalar.range_u(0, 7), Scalar.const(7), wide=True)
False
"""

from __future__ import annotations

from kfunclab.isa.insn import JmpOp
from kfunclab.verifier import tnum
from kfunclab.verifier.scalar.bounds import HIGH32, S32_MAX, S32_MIN, S64_MAX, S64_MIN, s32, s64
from kfunclab.verifier.scalar.value import (
    CACHE_LIMIT,
    Scalar,
    format_scalar,  # noqa: F401 - the docstring examples print with it
    sane,
    sync,
    sync_fields,
    unpack,
)
from kfunclab.verifier.tnum import U32, U64

# Enum member lookups are slow in hot paths: bind them once.
_JEQ = JmpOp.JEQ
_JGE = JmpOp.JGE
_JGT = JmpOp.JGT
_JLE = JmpOp.JLE
_JLT = JmpOp.JLT
_JNE = JmpOp.JNE
_JSET = JmpOp.JSET
_JSGE = JmpOp.JSGE
_JSGT = JmpOp.JSGT
_JSLE = JmpOp.JSLE
_JSLT = JmpOp.JSLT


# --------------------------------------------------------------------------- branches
def _view(x: Scalar, wide: bool) -> tuple:
    """(tnum value, tnum mask, umin, umax, smin, smax) of the width a jump compares."""
    (vv, vm), smin, smax, umin, umax, s32min, s32max, u32min, u32max = x
    if wide:
        return vv, vm, umin, umax, smin, smax
    return vv & U32, vm & U32, u32min, u32max, s32min, s32max


def branch_taken(op: JmpOp, a: Scalar, b: Scalar, wide: bool) -> bool | None:
    """Whether ``if a op b`` is always (True) or never (False) taken (``is_scalar_branch_taken``).

    ``wide=False`` compares the 32-bit subregisters (JMP32). Comparing a register with itself
    (``if r1 < r1``) goes through the same range logic in 6.18: it is decided only when the value
    is known.

    >>> branch_taken(JmpOp.JEQ, Scalar.range_u(0, 7), Scalar.const(8), wide=True)
    False
    >>> branch_taken(JmpOp.JSET, Scalar.range_u(0, 7), Scalar.const(8), wide=True)
    False
    """
    v1, m1, umin1, umax1, smin1, smax1 = _view(a, wide)
    v2, m2, umin2, umax2, smin2, smax2 = _view(b, wide)
    if op is _JEQ or op is _JNE:
        eq = op is _JEQ
        if not m1 and not m2:
            return (v1 == v2) == eq
        mu = ~m1 & ~m2
        if (v1 & mu) != (v2 & mu):
            return not eq
        if umin1 > umax2 or umax1 < umin2 or smin1 > smax2 or smax1 < smin2:
            return not eq
        if wide and (
            a[7] > b[8] or a[8] < b[7] or a[5] > b[6] or a[6] < b[5]
        ):
            return not eq
        return None
    if op is _JSET:
        if m2:
            v1, m1, v2, m2 = v2, m2, v1, m1
        if m2:
            return None
        if (~m1 & v1) & v2:
            return True
        if not ((m1 | v1) & v2):
            return False
        return None
    if op is _JGT:
        return True if umin1 > umax2 else False if umax1 <= umin2 else None
    if op is _JSGT:
        return True if smin1 > smax2 else False if smax1 <= smin2 else None
    if op is _JLT:
        return True if umax1 < umin2 else False if umin1 >= umax2 else None
    if op is _JSLT:
        return True if smax1 < smin2 else False if smin1 >= smax2 else None
    if op is _JGE:
        return True if umin1 >= umax2 else False if umax1 < umin2 else None
    if op is _JSGE:
        return True if smin1 >= smax2 else False if smax1 < smin2 else None
    if op is _JLE:
        return True if umax1 <= umin2 else False if umin1 > umax2 else None
    if op is _JSLE:
        return True if smax1 <= smin2 else False if smin1 > smax2 else None
    raise ValueError(f"not a conditional jump: {op!r}")


_REV = {
    _JEQ: _JNE, _JNE: _JEQ, _JGE: _JLT, _JGT: _JLE,
    _JLE: _JGT, _JLT: _JGE, _JSGE: _JSLT, _JSGT: _JSLE,
    _JSLE: _JSGT, _JSLT: _JSGE,
}
_FLIP = {_JGE: _JLE, _JGT: _JLT, _JSGE: _JSLE,
         _JSGT: _JSLT}
_NOT_JSET = "not-jset"  # rev_opcode(BPF_JSET): the kernel's BPF_JSET | BPF_X


def _refine_cond(r1: list, r2: list, op: object, wide: bool) -> None:
    """``regs_refine_cond_op`` on two mutable field lists [vv, vm, smin, ... u32max]."""
    if op in _FLIP:
        op = _FLIP[op]
        r1, r2 = r2, r1
    if op is _JEQ:
        if wide:
            for i, f in ((2, max), (3, min), (4, max), (5, min)):
                r1[i] = r2[i] = f(r1[i], r2[i])
            v, m = tnum.intersect((r1[0], r1[1]), (r2[0], r2[1]))
            r1[0] = r2[0] = v
            r1[1] = r2[1] = m
        else:
            for i, f in ((6, max), (7, min), (8, max), (9, min)):
                r1[i] = r2[i] = f(r1[i], r2[i])
            v, m = tnum.intersect((r1[0] & U32, r1[1] & U32), (r2[0] & U32, r2[1] & U32))
            for r in (r1, r2):
                r[0] = (r[0] & HIGH32) | v
                r[1] = (r[1] & HIGH32) | m
        return
    if op is _JNE or op is _JSET or op is _NOT_JSET:
        cmask = U64 if wide else U32
        if r2[1] & cmask:
            r1, r2 = r2, r1
        if r2[1] & cmask:
            return
        val = r2[0] & cmask
        if op is _JNE:
            # C arithmetic: the ++/-- wrap (only reachable on inconsistent, dead states)
            if wide:
                if r1[4] == val:
                    r1[4] = (val + 1) & U64
                if r1[5] == val:
                    r1[5] = (val - 1) & U64
                if r1[2] == s64(val):
                    r1[2] = s64(val + 1)
                if r1[3] == s64(val):
                    r1[3] = s64(val - 1)
            else:
                if r1[8] == val:
                    r1[8] = (val + 1) & U32
                if r1[9] == val:
                    r1[9] = (val - 1) & U32
                if r1[6] == s32(val):
                    r1[6] = s32(val + 1)
                if r1[7] == s32(val):
                    r1[7] = s32(val - 1)
            return
        if op is _JSET:
            if not val or val & (val - 1):
                return  # only a single tested bit teaches anything
            r1[0] |= val
            r1[1] &= ~val
            return
        # false branch of JSET: forget the ranges (the branch may be dead), clear the bits
        r1[2:] = [S64_MIN, S64_MAX, 0, U64, S32_MIN, S32_MAX, 0, U32]
        r1[0] &= ~val
        r1[1] &= ~val
        return
    if wide:
        umin, umax, smin, smax, top, smask = 4, 5, 2, 3, U64, s64
    else:
        umin, umax, smin, smax, top, smask = 8, 9, 6, 7, U32, s32
    if op is _JLE:
        r1[umax] = min(r1[umax], r2[umax])
        r2[umin] = max(r1[umin], r2[umin])
    elif op is _JLT:
        r1[umax] = min(r1[umax], (r2[umax] - 1) & top)
        r2[umin] = max((r1[umin] + 1) & top, r2[umin])
    elif op is _JSLE:
        r1[smax] = min(r1[smax], r2[smax])
        r2[smin] = max(r1[smin], r2[smin])
    elif op is _JSLT:
        r1[smax] = min(r1[smax], smask(r2[smax] - 1))
        r2[smin] = max(smask(r1[smin] + 1), r2[smin])


def refine(
    op: JmpOp,
    a: Scalar,
    b: Scalar,
    wide: bool,
    taken: bool,
    same: bool = False,
    checked: bool = True,
) -> tuple[Scalar, Scalar] | None:
    """``(a, b)`` narrowed on one side of ``if a op b`` (``reg_set_min_max``), None if dead.

    When :func:`branch_taken` already decides the jump the kernel does not refine: the live side
    keeps both values unchanged and the other side is dead (None). Otherwise both values pass
    through ``regs_refine_cond_op``, ``reg_bounds_sync`` and the sanity check. ``same`` says both
    operands are one register (``if r1 s> r1``): the kernel then refines it against itself
    through aliased pointers, which 6.18 still does. ``checked=False`` returns the values before
    the sanity check (for :func:`bounds_violation`'s log line).

    >>> lo, _ = refine(JmpOp.JGT, Scalar.range_u(0, 7), Scalar.const(5), wide=True, taken=False)
    >>> format_scalar(lo)
    'scalar(smin=smin32=0,smax=umax=smax32=umax32=5,var_off=(0x0; 0x7))'
    """
    key = (op, a, b, wide, taken, same, checked)
    r = _REFINE_CACHE.get(key, _MISSING)
    if r is _MISSING:
        r = _refine(op, a, b, wide, taken, same)
        if checked and r is not None:
            r = (sane(r[0]), sane(r[1]))
        if len(_REFINE_CACHE) >= CACHE_LIMIT:
            _REFINE_CACHE.clear()
        _REFINE_CACHE[key] = r
    return r


_REFINE_CACHE: dict[tuple, tuple[Scalar, Scalar] | None] = {}
_MISSING = object()


def _refine(
    op: JmpOp, a: Scalar, b: Scalar, wide: bool, taken: bool, same: bool
) -> tuple[Scalar, Scalar] | None:
    pred = branch_taken(op, a, b, wide)
    if pred is not None:
        return (a, b) if pred == taken else None
    r1 = list(unpack(a))
    r2 = r1 if same else list(unpack(b))
    cond = op if taken else (_NOT_JSET if op is _JSET else _REV[op])
    _refine_cond(r1, r2, cond, wide)
    if same:
        # one register refined against itself, then synced twice (as false_reg1, false_reg2)
        x = sync(sync_fields(*r1))
        return x, x
    return sync_fields(*r1), sync_fields(*r2)
