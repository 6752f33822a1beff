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

>>> r0 = alu(AluOp.AND, Scalar.unknown(), Scalar.const(7), wide=True)
>>> format_scalar(r0)
'scalar(smin=smin32=0,smax=umax=smax32=umax32=7,var_off=(0x0; 0x7))'
>>> format_scalar(alu(AluOp.ADD, r0, Scalar.const(5), wide=True), id=1, add_const=5)
'scalar(id=1+5,smin=umin=smin32=umin32=5,smax=umax=smax32=umax32=12,var_off=(0x0; 0xf))'
>>> branch_taken(JmpOp.JGT, r0, Scalar.const(7), wide=True)
False
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from kfunclab.isa.insn import AluOp, EndianKind, JmpOp
from kfunclab.verifier import tnum
from kfunclab.verifier.tnum import U32, U64, Tnum

S64_MIN = -(1 << 63)
S64_MAX = (1 << 63) - 1
S32_MIN = -(1 << 31)
S32_MAX = (1 << 31) - 1
_SIGN64 = 1 << 63
_SIGN32 = 1 << 31
_HIGH32 = U64 ^ U32
_new = tuple.__new__

# Enum member lookups are slow in hot paths: bind them once.
_ADD = AluOp.ADD
_AND = AluOp.AND
_ARSH = AluOp.ARSH
_LSH = AluOp.LSH
_MOV = AluOp.MOV
_MUL = AluOp.MUL
_NEG = AluOp.NEG
_OR = AluOp.OR
_RSH = AluOp.RSH
_SUB = AluOp.SUB
_XOR = AluOp.XOR
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


def _s64(x: int) -> int:
    """Reinterpret the low 64 bits of ``x`` as signed."""
    x &= U64
    return x - (1 << 64) if x & _SIGN64 else x


def _s32(x: int) -> int:
    """Reinterpret the low 32 bits of ``x`` as signed."""
    x &= U32
    return x - (1 << 32) if x & _SIGN32 else x


class Scalar(NamedTuple):
    """What the verifier knows about a scalar register (``struct bpf_reg_state`` bounds).

    ``smin``/``smax`` and ``s32_min``/``s32_max`` are signed Python ints; ``umin``/``umax`` and
    ``u32_min``/``u32_max`` are unsigned. Values are immutable, hashable and compare by value, so
    states can be pruned by plain equality.

    >>> Scalar.const(5).is_const, Scalar.const(-1).const_value == 2**64 - 1
    (True, True)
    >>> Scalar.unknown().is_unknown
    True
    """

    var_off: Tnum
    smin: int
    smax: int
    umin: int
    umax: int
    s32_min: int
    s32_max: int
    u32_min: int
    u32_max: int

    @classmethod
    def const(cls, value: int) -> Scalar:
        """The known constant ``value`` (taken modulo 2**64), as ``__mark_reg_known``."""
        return _const(value)

    @classmethod
    def unknown(cls) -> Scalar:
        """A completely unknown scalar, as ``__mark_reg_unknown``."""
        return UNKNOWN

    @classmethod
    def range_u(cls, lo: int, hi: int) -> Scalar:
        """An unknown scalar known to lie in the unsigned range ``[lo, hi]``, bounds synced.

        >>> format_scalar(Scalar.range_u(6, 9))
        'scalar(smin=umin=smin32=umin32=6,smax=umax=smax32=umax32=9,var_off=(0x0; 0xf))'
        """
        return _sync(0, U64, S64_MIN, S64_MAX, lo & U64, hi & U64, S32_MIN, S32_MAX, 0, U32)

    @classmethod
    def range_s(cls, lo: int, hi: int) -> Scalar:
        """An unknown scalar known to lie in the signed range ``[lo, hi]``, bounds synced."""
        return _sync(0, U64, _s64(lo), _s64(hi), 0, U64, S32_MIN, S32_MAX, 0, U32)

    @property
    def is_const(self) -> bool:
        """Whether the value is fully known (``tnum_is_const(var_off)``)."""
        return not self[0][1]

    @property
    def const_value(self) -> int:
        """The known value as an unsigned 64-bit int (meaningful only if :attr:`is_const`)."""
        return self[0][0]

    @property
    def is_unknown(self) -> bool:
        """Whether nothing at all is known (the state ``__mark_reg_unknown`` gives)."""
        return self == UNKNOWN

    @property
    def is_const32(self) -> bool:
        """Whether the low 32 bits are fully known (``tnum_subreg_is_const``)."""
        return not (self[0][1] & U32)

    def __repr__(self) -> str:
        return f"Scalar<{format_scalar(self)}>"

    def contains(self, x: int) -> bool:
        """Whether the concrete 64-bit value ``x`` is allowed by every component (γ membership).

        >>> Scalar.range_u(6, 9).contains(7), Scalar.range_u(6, 9).contains(10)
        (True, False)
        """
        x &= U64
        s = x - (1 << 64) if x & _SIGN64 else x
        lo = x & U32
        s32 = lo - (1 << 32) if lo & _SIGN32 else lo
        v, m = self[0]
        return (
            (x & ~m) == v
            and self[1] <= s <= self[2]
            and self[3] <= x <= self[4]
            and self[5] <= s32 <= self[6]
            and self[7] <= lo <= self[8]
        )


def _mk(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max) -> Scalar:
    return _new(Scalar, (_new(Tnum, (vv, vm)), smin, smax, umin, umax, s32min, s32max, u32min,
                         u32max))


UNKNOWN = _mk(0, U64, S64_MIN, S64_MAX, 0, U64, S32_MIN, S32_MAX, 0, U32)

_CONSTS: dict[int, Scalar] = {}
#: Size at which the memo tables (ALU results, synced bounds) are dropped and refilled.
_CACHE_LIMIT = 1 << 16


def _const(value: int) -> Scalar:
    value &= U64
    c = _CONSTS.get(value)
    if c is not None:
        return c
    lo = value & U32
    c = _mk(value, 0, _s64(value), _s64(value), value, value, _s32(lo), _s32(lo), lo, lo)
    if len(_CONSTS) < 4096:
        _CONSTS[value] = c
    return c


for _v in range(-64, 256):
    _const(_v)

# --------------------------------------------------------------------------- bounds sync
#: How many times reg_bounds_sync() runs __reg_deduce_bounds() (3 in the 6.18 stable series).
DEDUCE_ROUNDS = 3
#: Whether __update_reg64_bounds() snaps to a constant when u64 range and tnum share one value.
TNUM_STEP = True


_SYNC_CACHE: dict[tuple, Scalar] = {}


def _sync(*f: int) -> Scalar:
    """``reg_bounds_sync`` on unpacked fields, memoised (states recur a lot during exploration)."""
    r = _SYNC_CACHE.get(f)
    if r is None:
        r = _sync_raw(*f)
        if len(_SYNC_CACHE) >= _CACHE_LIMIT:
            _SYNC_CACHE.clear()
        _SYNC_CACHE[f] = r
    return r


def _sync_raw(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max) -> Scalar:
    """``reg_bounds_sync``: tnum → bounds, 32/64 and signed/unsigned deductions, bounds → tnum."""
    # __update_reg_bounds: 32-bit half, then 64-bit
    v32 = vv & U32
    m32 = vm & U32
    t = v32 | (m32 & _SIGN32)
    t = t - (1 << 32) if t & _SIGN32 else t
    if t > s32min:
        s32min = t
    t = v32 | (m32 & 0x7FFFFFFF)
    t = t - (1 << 32) if t & _SIGN32 else t
    if t < s32max:
        s32max = t
    if v32 > u32min:
        u32min = v32
    if v32 | m32 < u32max:
        u32max = v32 | m32
    t = vv | (vm & _SIGN64)
    t = t - (1 << 64) if t & _SIGN64 else t
    if t > smin:
        smin = t
    t = vv | (vm & S64_MAX)
    t = t - (1 << 64) if t & _SIGN64 else t
    if t < smax:
        smax = t
    if vv > umin:
        umin = vv
    if vv | vm < umax:
        umax = vv | vm
    if TNUM_STEP and not (
        umin < umax and (umin & ~vm) == vv and (umax & ~vm) == vv
    ):  # two distinct members of the tnum in range: nothing to snap
        vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max = _snap_tnum_step(
            vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max)

    for _ in range(DEDUCE_ROUNDS):
        before = (vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max)
        # __reg32_deduce_bounds
        if (umin >> 32) == (umax >> 32):
            lo = umin & U32
            hi = umax & U32
            if lo > u32min:
                u32min = lo
            if hi < u32max:
                u32max = hi
            slo = lo - (1 << 32) if lo & _SIGN32 else lo
            shi = hi - (1 << 32) if hi & _SIGN32 else hi
            if slo <= shi:
                if slo > s32min:
                    s32min = slo
                if shi < s32max:
                    s32max = shi
        if (smin >> 32) == (smax >> 32):
            lo = smin & U32
            hi = smax & U32
            if lo <= hi:
                if lo > u32min:
                    u32min = lo
                if hi < u32max:
                    u32max = hi
            slo = lo - (1 << 32) if lo & _SIGN32 else lo
            shi = hi - (1 << 32) if hi & _SIGN32 else hi
            if slo <= shi:
                if slo > s32min:
                    s32min = slo
                if shi < s32max:
                    s32max = shi
        if (((umin >> 32) + 1) & U32) == (umax >> 32) and umin & _SIGN32 and not umax & _SIGN32:
            slo = (umin & U32) - (1 << 32)
            shi = umax & U32
            if slo > s32min:
                s32min = slo
            if shi < s32max:
                s32max = shi
        if (((smin >> 32) + 1) & U32) == ((smax >> 32) & U32) and smin & _SIGN32 and not (
            smax & _SIGN32
        ):
            slo = (smin & U32) - (1 << 32)
            shi = smax & U32
            if slo > s32min:
                s32min = slo
            if shi < s32max:
                s32max = shi
        # u32 range that forms a valid s32 range
        slo = u32min - (1 << 32) if u32min & _SIGN32 else u32min
        shi = u32max - (1 << 32) if u32max & _SIGN32 else u32max
        if slo <= shi:
            if slo > s32min:
                s32min = slo
            if shi < s32max:
                s32max = shi
        lo = s32min & U32
        hi = s32max & U32
        if lo <= hi:
            if lo > u32min:
                u32min = lo
            if hi < u32max:
                u32max = hi
        elif u32max < lo:
            # s32 range crosses the sign boundary; u32 range sits in its positive part
            s32min = u32min - (1 << 32) if u32min & _SIGN32 else u32min
            if hi < u32max:
                u32max = hi
        elif hi < u32min:
            # ... or in its negative part
            s32max = u32max - (1 << 32) if u32max & _SIGN32 else u32max
            if lo > u32min:
                u32min = lo

        # __reg64_deduce_bounds
        slo = umin - (1 << 64) if umin & _SIGN64 else umin
        shi = umax - (1 << 64) if umax & _SIGN64 else umax
        if slo <= shi:
            if slo > smin:
                smin = slo
            if shi < smax:
                smax = shi
        lo = smin & U64
        hi = smax & U64
        if lo <= hi:
            if lo > umin:
                umin = lo
            if hi < umax:
                umax = hi
        elif umax < lo:
            smin = umin - (1 << 64) if umin & _SIGN64 else umin
            if hi < umax:
                umax = hi
        elif hi < umin:
            smax = umax - (1 << 64) if umax & _SIGN64 else umax
            if lo > umin:
                umin = lo

        # __reg_deduce_mixed_bounds
        t = (umin & _HIGH32) | u32min
        if t > umin:
            umin = t
        t = (umax & _HIGH32) | u32max
        if t < umax:
            umax = t
        t = (smin & ~U32) | u32min
        if t > smin:
            smin = t
        t = (smax & ~U32) | u32max
        if t < smax:
            smax = t
        if s32min >= 0 and smin >= S32_MIN and smax <= S32_MAX:
            smin, smax = s32min, s32max
            umin, umax = s32min & U64, s32max & U64  # u64 = (s32): sign-extends
            rv, rm = tnum.tnum_range(smin, smax)
            nv = vv | rv
            vm &= rm
            vv = nv & ~vm
        if before == (vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max):
            break  # a round is a function of the state: nothing more to learn

    # __reg_bound_offset (tnum_range inlined)
    bits = (umin ^ umax).bit_length()
    if bits > 63:
        v64, m64 = vv, vm
    else:
        rm = (1 << bits) - 1
        m64 = vm & rm
        v64 = (vv | (umin & ~rm)) & ~m64
    bits = (u32min ^ u32max).bit_length()
    rm = (1 << bits) - 1
    m32 = m64 & U32 & rm
    v32 = ((v64 & U32) | (u32min & ~rm))
    vv = (v64 & _HIGH32) | (v32 & ~m32)
    vm = (m64 & _HIGH32) | m32

    # __update_reg_bounds once more
    v32 = vv & U32
    m32 = vm & U32
    t = v32 | (m32 & _SIGN32)
    t = t - (1 << 32) if t & _SIGN32 else t
    if t > s32min:
        s32min = t
    t = v32 | (m32 & 0x7FFFFFFF)
    t = t - (1 << 32) if t & _SIGN32 else t
    if t < s32max:
        s32max = t
    if v32 > u32min:
        u32min = v32
    if v32 | m32 < u32max:
        u32max = v32 | m32
    t = vv | (vm & _SIGN64)
    t = t - (1 << 64) if t & _SIGN64 else t
    if t > smin:
        smin = t
    t = vv | (vm & S64_MAX)
    t = t - (1 << 64) if t & _SIGN64 else t
    if t < smax:
        smax = t
    if vv > umin:
        umin = vv
    if vv | vm < umax:
        umax = vv | vm
    if TNUM_STEP and not (
        umin < umax and (umin & ~vm) == vv and (umax & ~vm) == vv
    ):
        return _mk(*_snap_tnum_step(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min,
                                    u32max))
    return _mk(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max)


def _snap_tnum_step(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max):
    """The tnum_step() tail of newer ``__update_reg64_bounds``: one shared value → constant."""
    nxt = tnum.step((vv, vm), umin)
    umin_in = (umin & ~vm) == vv
    tmax = vv | vm
    known = None
    if umin_in and nxt > umax:
        known = umin
    elif not umin_in and nxt == tmax:
        known = tmax
    elif not umin_in and nxt <= umax and tnum.step((vv, vm), nxt) > umax:
        known = nxt
    if known is None:
        return vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max
    lo = known & U32
    return (known, 0, _s64(known), _s64(known), known, known, _s32(lo), _s32(lo), lo, lo)


def _sane(x: Scalar) -> Scalar:
    """``reg_bounds_sanity_check``: on a violated invariant the kernel forgets the ranges.

    (It also logs ``verifier bug: REG INVARIANTS VIOLATION``; the var_off is kept.)
    """
    (vv, vm), smin, smax, umin, umax, s32min, s32max, u32min, u32max = x
    bad = umin > umax or smin > smax or u32min > u32max or s32min > s32max
    if not bad and not vm:
        bad = umin != vv or umax != vv or smin != _s64(vv) or smax != _s64(vv)
    if not bad and not (vm & U32):
        lo = vv & U32
        bad = u32min != lo or u32max != lo or s32min != _s32(lo) or s32max != _s32(lo)
    if bad:
        return _mk(vv, vm, S64_MIN, S64_MAX, 0, U64, S32_MIN, S32_MAX, 0, U32)
    return x


def is_sane(x: Scalar) -> bool:
    """Whether ``x`` passes the kernel's ``reg_bounds_sanity_check`` unchanged."""
    return _sane(x) is x


def sanity_check(x: Scalar) -> Scalar:
    """``reg_bounds_sanity_check``'s repair: ``x``, or ``x`` with its ranges forgotten."""
    return _sane(x)


def bounds_violation(x: Scalar, ctx: str) -> str | None:
    """The log line ``reg_bounds_sanity_check`` prints for ``x`` (None if ``x`` is sane).

    ``ctx`` is the kernel's label: ``alu``, or ``true_reg1``/``true_reg2``/``false_reg1``/
    ``false_reg2`` for a branch. Values come from ``alu(..., checked=False)`` or
    ``refine(..., checked=False)``.

    >>> bounds_violation(Scalar.range_u(1, 9), "alu") is None
    True
    """
    (vv, vm), smin, smax, umin, umax, s32min, s32max, u32min, u32max = x
    if umin > umax or smin > smax or u32min > u32max or s32min > s32max:
        msg = "range bounds violation"
    elif not vm and (umin != vv or umax != vv or smin != _s64(vv) or smax != _s64(vv)):
        msg = "const tnum out of sync with range bounds"
    elif not (vm & U32) and (
        u32min != vv & U32 or u32max != vv & U32 or s32min != _s32(vv) or s32max != _s32(vv)
    ):
        msg = "const subreg tnum out of sync with range bounds"
    else:
        return None
    return (
        f"verifier bug: REG INVARIANTS VIOLATION ({ctx}): {msg} u64=[{umin:#x}, {umax:#x}] "
        f"s64=[{smin & U64:#x}, {smax & U64:#x}] u32=[{u32min:#x}, {u32max:#x}] "
        f"s32=[{s32min & U32:#x}, {s32max & U32:#x}] var_off=({vv:#x}, {vm:#x})"
    )


def sync(x: Scalar) -> Scalar:
    """``reg_bounds_sync`` of ``x`` (exposed for callers that edit bounds themselves)."""
    (vv, vm), *rest = x
    return _sync(vv, vm, *rest)


# --------------------------------------------------------------------------- casts


def _zext(x: Scalar) -> tuple:
    """``zext_32_to_64``: the 32-bit result zero-extended into the 64-bit bounds."""
    (vv, vm), _, _, _, _, s32min, s32max, u32min, u32max = x
    if s32min >= 0 and s32max >= 0:
        smin, smax = s32min, s32max
    else:
        smin, smax = 0, U32
    return (vv & U32, vm & U32, smin, smax, u32min, u32max, s32min, s32max, u32min, u32max)


def truncate(x: Scalar, size: int) -> Scalar:
    """``coerce_reg_to_size``: keep the low ``size`` bytes (zero-extending load, ``le16``).

    >>> format_scalar(truncate(Scalar.unknown(), 4))
    'scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))'
    """
    if size >= 8:
        return x
    (vv, vm), _, _, umin, umax, s32min, s32max, u32min, u32max = x
    mask = (1 << (size * 8)) - 1
    vv &= mask
    vm &= mask
    if (umin & ~mask) == (umax & ~mask):
        umin &= mask
        umax &= mask
    else:
        umin, umax = 0, mask
    if size < 4:
        s32min, s32max, u32min, u32max = S32_MIN, S32_MAX, 0, U32
    return _sync(vv, vm, umin, umax, umin, umax, s32min, s32max, u32min, u32max)


_SX_LIMITS = {1: (-(1 << 7), (1 << 7) - 1), 2: (-(1 << 15), (1 << 15) - 1), 4: (S32_MIN, S32_MAX)}


def _sext(x: int, size: int) -> int:
    bits = size * 8
    sign = 1 << (bits - 1)
    x &= (1 << bits) - 1
    return x - (sign << 1) if x & sign else x


def sign_extend(x: Scalar, size: int) -> Scalar:
    """``coerce_reg_to_size_sx`` (6.18): sign-extend the low ``size`` bytes into 64 bits.

    Used by ``r1 = (s8)r2`` and by sign-extending loads. Like the kernel, the result is not
    passed through ``reg_bounds_sync``.

    >>> format_scalar(sign_extend(Scalar.unknown(), 1))
    'scalar(smin=smin32=-128,smax=smax32=127)'
    """
    if size >= 8:
        return x
    (vv, vm), smin, smax, *_ = x
    if not vm:
        return _const(_sext(vv, size))
    bits = size * 8
    if ((smax & U64) >> bits) == ((smin & U64) >> bits):
        a = _sext(smax, size)
        b = _sext(smin, size)
        hi, lo = max(a, b), min(a, b)
        if (hi >= 0) == (lo >= 0):
            rv, rm = tnum.tnum_range(lo, hi)
            return _mk(rv, rm, lo, hi, lo & U64, hi & U64, _s32(lo), _s32(hi), lo & U32,
                       hi & U32)
    lo, hi = _SX_LIMITS[size]
    return _mk(0, U64, lo, hi, 0, U64, lo, hi, 0, U32)


def _sign_extend32(x: Scalar, size: int) -> Scalar:
    """``coerce_subreg_to_size_sx``: ``w1 = (s8)w2`` before zero-extension and sync."""
    (vv, vm), smin, smax, umin, umax, s32min, s32max, _, _ = x
    if not vm:
        c = _sext(vv, size) & U32
        return _mk(c, 0, smin, smax, umin, umax, _s32(c), _s32(c), c, c)
    bits = size * 8
    if ((s32max & U32) >> bits) == ((s32min & U32) >> bits):
        a = _sext(s32max, size)
        b = _sext(s32min, size)
        hi, lo = max(a, b), min(a, b)
        if (hi >= 0) == (lo >= 0):
            rv, rm = tnum.tnum_range(lo, hi)
            return _mk(rv & U32, rm & U32, smin, smax, umin, umax, lo, hi, lo & U32, hi & U32)
    lo, hi = _SX_LIMITS[size]
    return _mk(0, U32, smin, smax, umin, umax, lo, hi, 0, U32)


def load_result(size: int, signed: bool = False) -> Scalar:
    """What the verifier knows about an unknown value loaded with ``size`` bytes.

    >>> format_scalar(load_result(1))
    'scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))'
    >>> format_scalar(load_result(2, signed=True))
    'scalar(smin=smin32=-32768,smax=smax32=32767)'
    """
    if size >= 8:
        return UNKNOWN
    return sign_extend(UNKNOWN, size) if signed else truncate(UNKNOWN, size)


# --------------------------------------------------------------------------- ALU
def _add(d: Scalar, s: Scalar, wide: bool) -> tuple:
    """``scalar32_min_max_add`` + ``scalar_min_max_add`` + ``tnum_add``."""
    (vv, vm), smin, smax, umin, umax, s32min, s32max, u32min, u32max = d
    (sv, sm), ssmin, ssmax, sumin, sumax, ss32min, ss32max, su32min, su32max = s
    a = s32min + ss32min
    b = s32max + ss32max
    if a < S32_MIN or a > S32_MAX or b < S32_MIN or b > S32_MAX:
        s32min, s32max = S32_MIN, S32_MAX
    else:
        s32min, s32max = a, b
    a = u32min + su32min
    b = u32max + su32max
    if a <= U32 < b:
        u32min, u32max = 0, U32
    else:
        u32min, u32max = a & U32, b & U32
    if wide:
        a = smin + ssmin
        b = smax + ssmax
        if a < S64_MIN or a > S64_MAX or b < S64_MIN or b > S64_MAX:
            smin, smax = S64_MIN, S64_MAX
        else:
            smin, smax = a, b
        a = umin + sumin
        b = umax + sumax
        if a <= U64 < b:
            umin, umax = 0, U64
        else:
            umin, umax = a & U64, b & U64
    vv, vm = tnum.add((vv, vm), (sv, sm))
    return vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max


def _sub(d: Scalar, s: Scalar, wide: bool) -> tuple:
    """``scalar32_min_max_sub`` + ``scalar_min_max_sub`` + ``tnum_sub``."""
    (vv, vm), smin, smax, umin, umax, s32min, s32max, u32min, u32max = d
    (sv, sm), ssmin, ssmax, sumin, sumax, ss32min, ss32max, su32min, su32max = s
    a = s32min - ss32max
    b = s32max - ss32min
    if a < S32_MIN or a > S32_MAX or b < S32_MIN or b > S32_MAX:
        s32min, s32max = S32_MIN, S32_MAX
    else:
        s32min, s32max = a, b
    a = u32min - su32max
    b = u32max - su32min
    if a < 0 <= b:
        u32min, u32max = 0, U32
    else:
        u32min, u32max = a & U32, b & U32
    if wide:
        a = smin - ssmax
        b = smax - ssmin
        if a < S64_MIN or a > S64_MAX or b < S64_MIN or b > S64_MAX:
            smin, smax = S64_MIN, S64_MAX
        else:
            smin, smax = a, b
        a = umin - sumax
        b = umax - sumin
        if a < 0 <= b:
            umin, umax = 0, U64
        else:
            umin, umax = a & U64, b & U64
    vv, vm = tnum.sub((vv, vm), (sv, sm))
    return vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max


def _mul(d: Scalar, s: Scalar, wide: bool) -> tuple:
    """``tnum_mul`` + ``scalar32_min_max_mul`` + ``scalar_min_max_mul`` (signed products)."""
    (vv, vm), smin, smax, umin, umax, s32min, s32max, u32min, u32max = d
    (sv, sm), ssmin, ssmax, sumin, sumax, ss32min, ss32max, su32min, su32max = s
    if wide:
        vv, vm = tnum.mul((vv, vm), (sv, sm))
    else:  # only the low half survives zero-extension, and it depends only on low halves
        vv, vm = tnum.mul((vv & U32, vm & U32), (sv & U32, sm & U32))
    if u32max * su32max > U32:
        u32min, u32max = 0, U32
    else:
        u32min, u32max = u32min * su32min, u32max * su32max
    p = (s32min * ss32min, s32min * ss32max, s32max * ss32min, s32max * ss32max)
    lo, hi = min(p), max(p)
    if lo < S32_MIN or hi > S32_MAX:
        s32min, s32max = S32_MIN, S32_MAX
    else:
        s32min, s32max = lo, hi
    if wide:
        if umax * sumax > U64:
            umin, umax = 0, U64
        else:
            umin, umax = umin * sumin, umax * sumax
        p = (smin * ssmin, smin * ssmax, smax * ssmin, smax * ssmax)
        lo, hi = min(p), max(p)
        if lo < S64_MIN or hi > S64_MAX:
            smin, smax = S64_MIN, S64_MAX
        else:
            smin, smax = lo, hi
    return vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max


def _update_bounds(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max) -> tuple:
    """``__update_reg_bounds`` on unpacked fields, including the tnum_step snap."""
    v32 = vv & U32
    m32 = vm & U32
    s32min = max(s32min, _s32(v32 | (m32 & _SIGN32)))
    s32max = min(s32max, _s32(v32 | (m32 & 0x7FFFFFFF)))
    u32min = max(u32min, v32)
    u32max = min(u32max, v32 | m32)
    smin = max(smin, _s64(vv | (vm & _SIGN64)))
    smax = min(smax, _s64(vv | (vm & S64_MAX)))
    umin = max(umin, vv)
    umax = min(umax, vv | vm)
    if TNUM_STEP and not (umin < umax and (umin & ~vm) == vv and (umax & ~vm) == vv):
        return _snap_tnum_step(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max)
    return vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max


def _bitwise(op: AluOp, d: Scalar, s: Scalar, wide: bool) -> tuple:
    """AND/OR/XOR: ``tnum_*`` first, then ``scalar32_min_max_*`` and ``scalar_min_max_*``."""
    (vv, vm), smin, smax, umin, umax, s32min, s32max, u32min, u32max = d
    s_t = s[0]
    if op is _AND:
        vv, vm = tnum.and_((vv, vm), s_t)
    elif op is _OR:
        vv, vm = tnum.or_((vv, vm), s_t)
    else:
        vv, vm = tnum.xor((vv, vm), s_t)
    v32 = vv & U32
    m32 = vm & U32
    if not (m32 or s_t[1] & U32):
        # source and result subregisters known: __mark_reg32_known
        s32min = s32max = _s32(v32)
        u32min = u32max = v32
    else:
        if op is _AND:
            u32min, u32max = v32, min(u32max, s[8])
        elif op is _OR:
            u32min, u32max = max(u32min, s[7]), v32 | m32
        else:
            u32min, u32max = v32, v32 | m32
        if _s32(u32min) <= _s32(u32max):
            s32min, s32max = _s32(u32min), _s32(u32max)
        else:
            s32min, s32max = S32_MIN, S32_MAX
    # scalar_min_max_*: runs for ALU32 too, and its __update_reg_bounds can refine the subreg
    if not (vm or s_t[1]):
        c = _const(vv)
        return (vv, 0, *c[1:])
    if op is _AND:
        umin, umax = vv, min(umax, s[4])
    elif op is _OR:
        umin, umax = max(umin, s[3]), vv | vm
    else:
        umin, umax = vv, vv | vm
    if _s64(umin) <= _s64(umax):
        smin, smax = _s64(umin), _s64(umax)
    else:
        smin, smax = S64_MIN, S64_MAX
    return _update_bounds(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max)


def _lsh32_bounds(u32min: int, u32max: int, lo: int, hi: int) -> tuple[int, int, int, int]:
    """``__scalar32_min_max_lsh``: returns s32min, s32max, u32min, u32max."""
    if hi > 31 or u32max > 1 << (31 - hi):
        return S32_MIN, S32_MAX, 0, U32
    return S32_MIN, S32_MAX, (u32min << lo) & U32, (u32max << hi) & U32


def _shift(op: AluOp, d: Scalar, k: int, wide: bool) -> tuple:
    """LSH/RSH/ARSH by the known amount ``k`` (``scalar{,32}_min_max_{lsh,rsh,arsh}``)."""
    (vv, vm), smin, smax, umin, umax, s32min, s32max, u32min, u32max = d
    if wide:
        if op is _LSH:
            # <<32 is LLVM's sign-extension idiom: s32 bounds keep their sign (stable 6.18 fix)
            if k == 32:
                smin, smax = s32min << 32, s32max << 32
            else:
                smin, smax = S64_MIN, S64_MAX
            if umax > 1 << (63 - k):
                umin, umax = 0, U64
            else:
                umin, umax = umin << k, umax << k
            s32min, s32max, u32min, u32max = _lsh32_bounds(u32min, u32max, k, k)
            vv, vm = (vv << k) & U64, (vm << k) & U64
        elif op is _RSH:
            smin, smax = S64_MIN, S64_MAX
            vv, vm = vv >> k, vm >> k
            umin, umax = umin >> k, umax >> k
            s32min, s32max, u32min, u32max = S32_MIN, S32_MAX, 0, U32
        else:
            smin, smax = smin >> k, smax >> k
            vv, vm = tnum.arshift((vv, vm), k, 64)
            umin, umax = 0, U64
            s32min, s32max, u32min, u32max = S32_MIN, S32_MAX, 0, U32
        return _update_bounds(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max)
    vv &= U32
    vm &= U32
    if op is _LSH:
        s32min, s32max, u32min, u32max = _lsh32_bounds(u32min, u32max, k, k)
        vv, vm = (vv << k) & U32, (vm << k) & U32
    elif op is _RSH:
        s32min, s32max = S32_MIN, S32_MAX
        vv, vm = vv >> k, vm >> k
        u32min, u32max = u32min >> k, u32max >> k
    else:
        s32min, s32max = s32min >> k, s32max >> k
        vv, vm = tnum.arshift((vv, vm), k, 32)
        u32min, u32max = 0, U32
    v32, m32 = vv, vm
    return (vv, vm, S64_MIN, S64_MAX, 0, U64,
            max(s32min, _s32(v32 | (m32 & _SIGN32))), min(s32max, _s32(v32 | (m32 & 0x7FFFFFFF))),
            max(u32min, v32), min(u32max, v32 | m32))


def _arsh(a: int, b: int, bits: int) -> int:
    sign = 1 << (bits - 1)
    return ((a & (sign - 1)) - (a & sign)) >> b


#: Runtime results on known operands, per width (the const-const fast path of :func:`alu`).
_CONCRETE = {
    True: {
        AluOp.ADD: lambda a, b: (a + b) & U64,
        AluOp.SUB: lambda a, b: (a - b) & U64,
        AluOp.MUL: lambda a, b: (a * b) & U64,
        AluOp.AND: lambda a, b: a & b,
        AluOp.OR: lambda a, b: a | b,
        AluOp.XOR: lambda a, b: a ^ b,
        AluOp.NEG: lambda a, b: -a & U64,
        AluOp.LSH: lambda a, b: (a << b) & U64 if b < 64 else None,
        AluOp.RSH: lambda a, b: a >> b if b < 64 else None,
        AluOp.ARSH: lambda a, b: _arsh(a, b, 64) & U64 if b < 64 else None,
    },
    False: {
        AluOp.ADD: lambda a, b: (a + b) & U32,
        AluOp.SUB: lambda a, b: (a - b) & U32,
        AluOp.MUL: lambda a, b: (a * b) & U32,
        AluOp.AND: lambda a, b: a & b & U32,
        AluOp.OR: lambda a, b: (a | b) & U32,
        AluOp.XOR: lambda a, b: (a ^ b) & U32,
        AluOp.NEG: lambda a, b: -a & U32,
        # is_safe_to_compute_dst_reg_range checks the full 64-bit amount, even for ALU32
        AluOp.LSH: lambda a, b: (a << b) & U32 if b < 32 else None,
        AluOp.RSH: lambda a, b: (a & U32) >> b if b < 32 else None,
        AluOp.ARSH: lambda a, b: _arsh(a & U32, b, 32) & U32 if b < 32 else None,
    },
}


_SAFE_ALWAYS = frozenset({_ADD, _SUB, _MUL, _AND, _OR, _XOR})
_SHIFTS = frozenset({_LSH, _RSH, _ARSH})
_CACHE: dict[tuple, Scalar] = {}


def alu(
    op: AluOp, dst: Scalar, src: Scalar, wide: bool, off: int = 0, checked: bool = True
) -> Scalar:
    """The value of ``dst op= src`` (``adjust_scalar_min_max_vals`` and ``check_alu_op``).

    ``wide`` is ALU64 (``r`` registers); 32-bit ops zero-extend into the 64-bit register. An
    immediate operand is ``Scalar.const(imm)`` with ``imm`` sign-extended from 32 bits, as the
    kernel builds it. ``off`` is the instruction's offset: 1 selects signed DIV/MOD, and 8/16/32 on
    MOV select the sign-extending move ``r1 = (s8)r2``. NEG ignores ``src`` and computes ``0 -
    dst``. As in Linux 6.18: DIV and MOD always yield an unknown scalar (there is no range
    tracking for them, not even for two constants), and so do shifts whose amount is not a known
    constant below the operand width; the unknown is 64-bit even for a 32-bit op.

    AND/OR with a constant may first split the state: call :func:`fork_scalars` before this.
    ``checked=False`` skips the final ``reg_bounds_sanity_check`` (see :func:`bounds_violation`).

    >>> format_scalar(alu(AluOp.SUB, Scalar.range_u(0, 7), Scalar.const(3), wide=False))
    'scalar(smin=0,smax=umax=0xffffffff,smin32=-3,smax32=4,var_off=(0x0; 0xffffffff))'
    >>> alu(AluOp.DIV, Scalar.const(6), Scalar.const(3), wide=True).is_unknown
    True
    """
    dt = dst[0]
    st = src[0]
    if not dt[1] and not st[1]:
        fn = _CONCRETE[wide].get(op)
        if fn is not None:
            r = fn(dt[0], st[0])
            return UNKNOWN if r is None else _const(r)
    if op == _MOV:
        return _mov(dst, src, wide, off, checked)
    key = (op, wide, off, dst, src, checked)
    r = _CACHE.get(key)
    if r is not None:
        return r
    r = _alu(op, dst, src, wide)
    if checked:
        r = _sane(r)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[key] = r
    return r


def _alu(op: AluOp, dst: Scalar, src: Scalar, wide: bool) -> Scalar:
    if op in _SAFE_ALWAYS:
        if op is _ADD:
            f = _add(dst, src, wide)
        elif op is _SUB:
            f = _sub(dst, src, wide)
        elif op is _MUL:
            f = _mul(dst, src, wide)
        else:
            f = _bitwise(op, dst, src, wide)
    elif op is _NEG:
        f = _sub(ZERO, dst, wide)
    elif op in _SHIFTS:
        bits = 64 if wide else 32
        (_, sm), ssmin, ssmax, sumin, sumax, ss32min, ss32max, su32min, su32max = src
        if wide:
            known = not sm and ssmin == ssmax and sumin == sumax
        else:
            known = not (sm & U32) and ss32min == ss32max and su32min == su32max
        if not known or sumax >= bits:
            return UNKNOWN
        f = _shift(op, dst, su32min if not wide else sumin, wide)
    else:  # DIV, MOD: no range tracking in 6.18
        return UNKNOWN
    if not wide:
        f = _zext(_mk(*f))
    return _sync(*f)


ZERO = _const(0)


def _mov(dst: Scalar, src: Scalar, wide: bool, off: int, checked: bool) -> Scalar:
    """MOV and MOVSX (``check_alu_op``'s BPF_MOV branch) for a scalar source."""
    if wide:
        if off == 0:
            return src
        if off not in (8, 16, 32):
            raise ValueError(f"BPF_MOV off must be 0, 8, 16 or 32, not {off}")
        r = sign_extend(src, off // 8)
    elif off == 0:
        r = _sync(*_zext(src))
    elif off in (8, 16):
        r = _sync(*_zext(_sign_extend32(src, off // 8)))
    else:
        raise ValueError(f"32-bit BPF_MOV off must be 0, 8 or 16, not {off}")
    return _sane(r) if checked else r


def fork_scalars(op: AluOp, dst: Scalar, src: Scalar) -> tuple[Scalar, Scalar] | None:
    """``maybe_fork_scalars``: split a {-1, 0} destination before AND/OR with a constant.

    LLVM turns ``x < 0 ? K : 0`` into ``x s>> 63; x &= K``; the verifier follows it by exploring
    ``dst = -1`` and ``dst = 0`` separately. For AND/OR whose ``src`` is a known constant and
    whose ``dst`` is -1..0 in 64 bits (else in its low 32 bits), returns ``(this_path, pushed)``:
    this path continues with ``alu(op, this_path, src, ...)``, and a new state is pushed that
    re-executes the *same* instruction with ``dst = pushed``. None when there is nothing to split.

    >>> here, pushed = fork_scalars(AluOp.AND, Scalar.range_s(-1, 0), Scalar.const(12))
    >>> format_scalar(here), format_scalar(pushed)
    ('-1', '0')
    """
    if (op is not _AND and op is not _OR) or src[0][1]:
        return None
    if dst[1] == -1 and dst[2] == 0:
        return _const(-1), ZERO
    if dst[5] == -1 and dst[6] == 0:
        (vv, vm), smin, smax, umin, umax = dst[:5]
        hv, hm = vv & _HIGH32, vm & _HIGH32
        return (_mk(hv | U32, hm, smin, smax, umin, umax, -1, -1, U32, U32),
                _mk(hv, hm, smin, smax, umin, umax, 0, 0, 0, 0))
    return None


def linked_add(known: Scalar, delta: int, zext32: bool = False) -> Scalar:
    """``sync_linked_regs``' "reg = known_reg; reg += delta" for a register linked by ``+= K``.

    The 64-bit and 32-bit add bounds plus ``tnum_add`` (no sanity check), zero-extended when the
    link was made by an ALU32 add (``BPF_ADD_CONST32``), then ``reg_bounds_sync``.

    >>> format_scalar(linked_add(Scalar.range_u(10, 20), -4))
    'scalar(smin=umin=smin32=umin32=6,smax=umax=smax32=umax32=16,var_off=(0x0; 0x1f))'
    """
    f = _add(known, _const(delta), True)
    if zext32:
        f = _zext(_mk(*f))
    return _sync(*f)


def neg(x: Scalar, wide: bool) -> Scalar:
    """``r1 = -r1`` (``BPF_NEG``): ``0 - x`` with the kernel's subtraction bounds."""
    return alu(_NEG, x, x, wide)


def endian(kind: EndianKind, bits: int, x: Scalar, wide: bool | None = None) -> Scalar:
    """``le16 r1``/``be32 r1``/``bswap64 r1`` on a little-endian host (``scalar_byte_swap``).

    ``le`` only truncates (``le64`` is a no-op); ``be`` and ``bswap`` swap the tnum's bytes and
    forget the ranges, then truncate to ``bits``. ``wide`` is implied by ``kind`` (bswap is the
    ALU64 form) and accepted for symmetry with :func:`alu`.

    >>> format_scalar(endian(EndianKind.BE, 16, Scalar.range_u(0, 255)))
    'scalar(smin=smin32=0,smax=umax=smax32=umax32=0xff00,var_off=(0x0; 0xff00))'
    """
    if bits not in (16, 32, 64):
        raise ValueError(f"byte swap width must be 16, 32 or 64, not {bits}")
    if kind is EndianKind.LE:
        if bits == 64:  # a no-op on a little-endian host, but still synced
            return _sane(sync(x))
        return _sane(_sync(*_unpack(truncate(x, bits // 8))))
    t = x[0]
    t = tnum.bswap16(t) if bits == 16 else tnum.bswap32(t) if bits == 32 else tnum.bswap64(t)
    y = _mk(t[0], t[1], S64_MIN, S64_MAX, 0, U64, S32_MIN, S32_MAX, 0, U32)
    if bits != 64:
        y = truncate(y, bits // 8)
    return _sane(_sync(*_unpack(y)))


def _unpack(x: Scalar) -> tuple:
    (vv, vm), *rest = x
    return (vv, vm, *rest)


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
                r[0] = (r[0] & _HIGH32) | v
                r[1] = (r[1] & _HIGH32) | m
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
                if r1[2] == _s64(val):
                    r1[2] = _s64(val + 1)
                if r1[3] == _s64(val):
                    r1[3] = _s64(val - 1)
            else:
                if r1[8] == val:
                    r1[8] = (val + 1) & U32
                if r1[9] == val:
                    r1[9] = (val - 1) & U32
                if r1[6] == _s32(val):
                    r1[6] = _s32(val + 1)
                if r1[7] == _s32(val):
                    r1[7] = _s32(val - 1)
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
        umin, umax, smin, smax, top, smask = 4, 5, 2, 3, U64, _s64
    else:
        umin, umax, smin, smax, top, smask = 8, 9, 6, 7, U32, _s32
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
            r = (_sane(r[0]), _sane(r[1]))
        if len(_REFINE_CACHE) >= _CACHE_LIMIT:
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
    r1 = list(_unpack(a))
    r2 = r1 if same else list(_unpack(b))
    cond = op if taken else (_NOT_JSET if op is _JSET else _REV[op])
    _refine_cond(r1, r2, cond, wide)
    if same:
        # one register refined against itself, then synced twice (as false_reg1, false_reg2)
        x = sync(_sync(*r1))
        return x, x
    return _sync(*r1), _sync(*r2)


def within(old: Scalar, cur: Scalar) -> bool:
    """``range_within(old, cur) && tnum_in(old->var_off, cur->var_off)`` (regsafe, precise).

    >>> within(Scalar.range_u(0, 7), Scalar.const(3)), within(Scalar.const(3), Scalar.range_u(0, 7))
    (True, False)
    """
    return (
        old[3] <= cur[3] and old[4] >= cur[4] and old[1] <= cur[1] and old[2] >= cur[2]
        and old[7] <= cur[7] and old[8] >= cur[8] and old[5] <= cur[5] and old[6] >= cur[6]
        and tnum.in_(old[0], cur[0])
    )


# --------------------------------------------------------------------------- log format
def _snum(v: int) -> str:
    """``verbose_snum``: decimal within s16, else hex of the 64-bit pattern."""
    s = _s64(v)
    return str(s) if -32768 <= s <= 32767 else f"{v & U64:#x}"


def _unum(v: int) -> str:
    """``verbose_unum``: decimal up to U16_MAX, else hex."""
    return str(v) if v <= 0xFFFF else f"{v:#x}"


def format_ranges(x: Scalar) -> list[str]:
    """``print_scalar_ranges``: the ``name=name=value`` items, equal bounds merged.

    >>> format_ranges(Scalar.range_s(-3, 4))
    ['smin=smin32=-3', 'smax=smax32=4']
    """
    _, smin, smax, umin, umax, s32min, s32max, u32min, u32max = x
    dec_min = -32768 <= s32min <= 32767
    dec_max = -32768 <= s32max <= 32767
    items = [
        ["smin", smin & U64, smin == S64_MIN],
        ["smax", smax & U64, smax == S64_MAX],
        ["umin", umin, umin == 0],
        ["umax", umax, umax == U64],
        ["smin32", s32min & (U64 if dec_min else U32), s32min == S32_MIN],
        ["smax32", s32max & (U64 if dec_max else U32), s32max == S32_MAX],
        ["umin32", u32min, u32min == 0],
        ["umax32", u32max, u32max == U32],
    ]
    out = []
    for i, (name, val, omit) in enumerate(items):
        if omit:
            continue
        neg1 = name[0] == "s" and bool(val & _SIGN64)
        names = [name]
        for j in range(i + 2, 8, 2):
            m2 = items[j]
            if m2[2] or m2[1] != val:
                continue
            if (m2[0][0] == "s" and bool(m2[1] & _SIGN64)) != neg1:
                continue
            m2[2] = True
            names.append(m2[0])
        out.append("=".join(names) + "=" + (_snum(val) if name[0] == "s" else _unum(val)))
    return out


@lru_cache(maxsize=1 << 14)  # pure, and the log prints the same few values over and over
def format_scalar(
    x: Scalar, precise: bool = False, id: int = 0, add_const: int | None = None
) -> str:
    """The scalar as the 6.18 log prints it after ``R1=`` (``print_reg_state``).

    A known value prints as a number (hex beyond 16 bits), anything else as ``scalar(...)`` with
    ``id`` (and the ``+off`` of a linked ``r1 += K`` copy), the bounds that are not trivial, and
    the var_off unless it is fully unknown. ``precise`` adds the ``P`` prefix.

    >>> format_scalar(Scalar.const(0xffff)), format_scalar(Scalar.const(-1), precise=True)
    ('0xffff', 'P-1')
    >>> format_scalar(Scalar.unknown(), id=2)
    'scalar(id=2)'
    """
    p = "P" if precise else ""
    vv, vm = x[0]
    if not vm:
        return p + _snum(vv)
    parts = []
    if id:
        parts.append(f"id={id}" if add_const is None else f"id={id}{add_const:+d}")
    parts += format_ranges(x)
    if vm != U64:
        parts.append(f"var_off=({vv:#x}; {vm:#x})")
    return p + "scalar(" + ",".join(parts) + ")"
