"""The :class:`Scalar` value: constructors, sanity check, pruning's ``within``, log text.

Every Scalar built here is in the kernel's normal form: :func:`sync_fields` runs
``reg_bounds_sync`` (:mod:`~kfunclab.verifier.scalar.bounds`) and memoises it, since states recur
a lot during exploration.

>>> format_scalar(Scalar.range_u(6, 9))
'scalar(smin=umin=smin32=umin32=6,smax=umax=smax32=umax32=9,var_off=(0x0; 0xf))'
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from kfunclab.verifier import tnum
from kfunclab.verifier.scalar.bounds import (
    S32_MAX,
    S32_MIN,
    S64_MAX,
    S64_MIN,
    SIGN32,
    SIGN64,
    s32,
    s64,
    sync_raw,
)
from kfunclab.verifier.tnum import U32, U64, Tnum

_new = tuple.__new__


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
        return const_scalar(value)

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
        return sync_fields(0, U64, S64_MIN, S64_MAX, lo & U64, hi & U64, S32_MIN, S32_MAX, 0, U32)

    @classmethod
    def range_s(cls, lo: int, hi: int) -> Scalar:
        """An unknown scalar known to lie in the signed range ``[lo, hi]``, bounds synced."""
        return sync_fields(0, U64, s64(lo), s64(hi), 0, U64, S32_MIN, S32_MAX, 0, U32)

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
        s = x - (1 << 64) if x & SIGN64 else x
        lo = x & U32
        s32 = lo - (1 << 32) if lo & SIGN32 else lo
        v, m = self[0]
        return (
            (x & ~m) == v
            and self[1] <= s <= self[2]
            and self[3] <= x <= self[4]
            and self[5] <= s32 <= self[6]
            and self[7] <= lo <= self[8]
        )


def make(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max) -> Scalar:
    """A Scalar from its ten fields as they are, unsynced (the fast constructor of hot paths)."""
    return _new(Scalar, (_new(Tnum, (vv, vm)), smin, smax, umin, umax, s32min, s32max, u32min,
                         u32max))


UNKNOWN = make(0, U64, S64_MIN, S64_MAX, 0, U64, S32_MIN, S32_MAX, 0, U32)

_CONSTS: dict[int, Scalar] = {}
#: Size at which the memo tables (ALU results, synced bounds) are dropped and refilled.
CACHE_LIMIT = 1 << 16


def const_scalar(value: int) -> Scalar:
    """:meth:`Scalar.const`: the known ``value`` mod 2**64, shared for small values.

    >>> const_scalar(-1) is Scalar.const(2**64 - 1)
    True
    """
    value &= U64
    c = _CONSTS.get(value)
    if c is not None:
        return c
    lo = value & U32
    c = make(value, 0, s64(value), s64(value), value, value, s32(lo), s32(lo), lo, lo)
    if len(_CONSTS) < 4096:
        _CONSTS[value] = c
    return c


for _v in range(-64, 256):
    const_scalar(_v)

_SYNC_CACHE: dict[tuple, Scalar] = {}


def sync_fields(*f: int) -> Scalar:
    """``reg_bounds_sync`` on unpacked fields, memoised (states recur a lot during exploration)."""
    r = _SYNC_CACHE.get(f)
    if r is None:
        r = make(*sync_raw(*f))
        if len(_SYNC_CACHE) >= CACHE_LIMIT:
            _SYNC_CACHE.clear()
        _SYNC_CACHE[f] = r
    return r


def sane(x: Scalar) -> Scalar:
    """``reg_bounds_sanity_check``: on a violated invariant the kernel forgets the ranges.

    (It also logs ``verifier bug: REG INVARIANTS VIOLATION``; the var_off is kept.)
    """
    (vv, vm), smin, smax, umin, umax, s32min, s32max, u32min, u32max = x
    bad = umin > umax or smin > smax or u32min > u32max or s32min > s32max
    if not bad and not vm:
        bad = umin != vv or umax != vv or smin != s64(vv) or smax != s64(vv)
    if not bad and not (vm & U32):
        lo = vv & U32
        bad = u32min != lo or u32max != lo or s32min != s32(lo) or s32max != s32(lo)
    if bad:
        return make(vv, vm, S64_MIN, S64_MAX, 0, U64, S32_MIN, S32_MAX, 0, U32)
    return x


def is_sane(x: Scalar) -> bool:
    """Whether ``x`` passes the kernel's ``reg_bounds_sanity_check`` unchanged."""
    return sane(x) is x


def sanity_check(x: Scalar) -> Scalar:
    """``reg_bounds_sanity_check``'s repair: ``x``, or ``x`` with its ranges forgotten."""
    return sane(x)


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
    elif not vm and (umin != vv or umax != vv or smin != s64(vv) or smax != s64(vv)):
        msg = "const tnum out of sync with range bounds"
    elif not (vm & U32) and (
        u32min != vv & U32 or u32max != vv & U32 or s32min != s32(vv) or s32max != s32(vv)
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
    return sync_fields(vv, vm, *rest)

def unpack(x: Scalar) -> tuple:
    """The ten fields of ``x``, the tnum's two first (what :func:`sync_fields` takes)."""
    (vv, vm), *rest = x
    return (vv, vm, *rest)


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
    s = s64(v)
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
        neg1 = name[0] == "s" and bool(val & SIGN64)
        names = [name]
        for j in range(i + 2, 8, 2):
            m2 = items[j]
            if m2[2] or m2[1] != val:
                continue
            if (m2[0][0] == "s" and bool(m2[1] & SIGN64)) != neg1:
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
