"""Tracked numbers: the verifier's bit-level knowledge of a 64-bit value (kernel/bpf/tnum.c).

A :class:`Tnum` is a pair ``(value, mask)`` of unsigned 64-bit ints with ``value & mask == 0``:
a bit set in ``mask`` is unknown, every other bit is known and equals the bit of ``value``. The
functions here follow the Linux 6.18 ``tnum_*`` helpers bit for bit, including their known
imprecision (``tnum_mul`` iterates over the bits of its first argument, ``tnum_intersect``
resolves disagreeing bits to 1), because the verifier's log prints the exact result.

Names drop the ``tnum_`` prefix where Python allows it (``add``, ``lshift``); ``and_``/``or_``/
``in_`` avoid keywords. Everything takes and returns plain ints, so the scalar domain can call
these in its inner loops without allocating.

>>> add(tnum_const(1), tnum_range(0, 3))
Tnum(value=0x0, mask=0x7)
>>> strn(tnum_range(16, 23))
'(0x10; 0x7)'
"""

from __future__ import annotations

from typing import NamedTuple

U64 = (1 << 64) - 1
U32 = (1 << 32) - 1
_HIGH32 = U64 ^ U32


class Tnum(NamedTuple):
    """``value`` holds the known 1 bits, ``mask`` the unknown bits (both unsigned 64-bit)."""

    value: int
    mask: int

    def __repr__(self) -> str:
        return f"Tnum(value={self.value:#x}, mask={self.mask:#x})"


_new = tuple.__new__


def _t(value: int, mask: int) -> Tnum:
    # tuple.__new__ skips NamedTuple's Python-level __new__: this is the hot constructor.
    return _new(Tnum, (value, mask))


#: The completely unknown value (kernel: ``tnum_unknown``).
TNUM_UNKNOWN = _t(0, U64)
#: The 32-bit unknown value: high half known zero.
TNUM_UNKNOWN32 = _t(0, U32)


def tnum_const(value: int) -> Tnum:
    """The known constant ``value`` (taken modulo 2**64, so -1 is all ones).

    >>> tnum_const(-1)
    Tnum(value=0xffffffffffffffff, mask=0x0)
    """
    return _t(value & U64, 0)


def tnum_unknown() -> Tnum:
    """A value with every bit unknown."""
    return TNUM_UNKNOWN


def tnum_range(lo: int, hi: int) -> Tnum:
    """The smallest tnum covering the unsigned range ``[lo, hi]`` (kernel ``tnum_range``).

    >>> tnum_range(5, 12)
    Tnum(value=0x0, mask=0xf)
    """
    lo &= U64
    bits = ((hi & U64) ^ lo).bit_length()
    if bits > 63:
        return TNUM_UNKNOWN
    delta = (1 << bits) - 1
    return _t(lo & ~delta, delta)


def lshift(a: Tnum, shift: int) -> Tnum:
    """``a << shift`` in 64 bits."""
    return _t((a[0] << shift) & U64, (a[1] << shift) & U64)


def rshift(a: Tnum, shift: int) -> Tnum:
    """Logical ``a >> shift``."""
    return _t(a[0] >> shift, a[1] >> shift)


def _sx(x: int, bits: int) -> int:
    sign = 1 << (bits - 1)
    return (x & (sign - 1)) - (x & sign)


def arshift(a: Tnum, shift: int, bits: int = 64) -> Tnum:
    """Arithmetic ``a >> shift`` of a ``bits``-wide (32 or 64) value, as ``tnum_arshift``.

    Shifting the mask arithmetically too keeps an unknown sign bit unknown in every copy.

    >>> arshift(Tnum(0x80000000, 0), 4, 32)
    Tnum(value=0xf8000000, mask=0x0)
    """
    m = U64 if bits == 64 else U32
    return _t((_sx(a[0], bits) >> shift) & m, (_sx(a[1], bits) >> shift) & m)


def add(a: Tnum, b: Tnum) -> Tnum:
    """``a + b``: unknown bits spread through every carry they may cause."""
    sm = a[1] + b[1]
    sv = a[0] + b[0]
    mu = (((sm + sv) ^ sv) | a[1] | b[1]) & U64
    return _t(sv & ~mu & U64, mu)


def sub(a: Tnum, b: Tnum) -> Tnum:
    """``a - b``: unknown bits spread through every borrow they may cause."""
    dv = a[0] - b[0]
    mu = (((dv + a[1]) ^ (dv - b[1])) | a[1] | b[1]) & U64
    return _t(dv & ~mu & U64, mu)


def neg(a: Tnum) -> Tnum:
    """``-a`` computed as ``0 - a`` (kernel ``tnum_neg``)."""
    return sub(_t(0, 0), a)


def and_(a: Tnum, b: Tnum) -> Tnum:
    """Bitwise and."""
    v = a[0] & b[0]
    return _t(v, (a[0] | a[1]) & (b[0] | b[1]) & ~v)


def or_(a: Tnum, b: Tnum) -> Tnum:
    """Bitwise or."""
    v = a[0] | b[0]
    return _t(v, (a[1] | b[1]) & ~v)


def xor(a: Tnum, b: Tnum) -> Tnum:
    """Bitwise exclusive or."""
    mu = a[1] | b[1]
    return _t((a[0] ^ b[0]) & ~mu, mu)


def union(a: Tnum, b: Tnum) -> Tnum:
    """A tnum containing every member of ``a`` and of ``b`` (kernel ``tnum_union``)."""
    v = a[0] & b[0]
    mu = (a[0] ^ b[0]) | a[1] | b[1]
    return _t(v & ~mu, mu)


def mul(a: Tnum, b: Tnum) -> Tnum:
    """Long multiplication over the bits of ``a`` (Linux 6.18 ``tnum_mul``).

    A known-1 bit of ``a`` adds the shifted ``b``; an unknown bit takes the union of adding and
    not adding it. Not commutative in precision, exactly like the kernel.

    >>> mul(Tnum(1, 2), tnum_const(3))
    Tnum(value=0x1, mask=0xa)
    """
    av, am = a
    bv, bm = b
    accv = accm = 0
    while av or am:
        if av & 1:
            sm = accm + bm
            sv = accv + bv
            accm = (((sm + sv) ^ sv) | accm | bm) & U64
            accv = sv & ~accm & U64
        elif am & 1:
            sm = accm + bm
            sv = accv + bv
            m1 = (((sm + sv) ^ sv) | accm | bm) & U64
            v1 = sv & ~m1 & U64
            # union(acc, acc + b)
            v = accv & v1
            mu = (accv ^ v1) | accm | m1
            accv = v & ~mu
            accm = mu
        av >>= 1
        am >>= 1
        bv = (bv << 1) & U64
        bm = (bm << 1) & U64
    return _t(accv, accm)


def intersect(a: Tnum, b: Tnum) -> Tnum:
    """Values in both ``a`` and ``b``; bits the two disagree on come out as known 1."""
    v = a[0] | b[0]
    mu = a[1] & b[1]
    return _t(v & ~mu, mu)


def overlap(a: Tnum, b: Tnum) -> bool:
    """Whether ``a`` and ``b`` can hold the same value (kernel ``tnum_overlap``)."""
    mu = ~a[1] & ~b[1]
    return (a[0] & mu) == (b[0] & mu)


def cast(a: Tnum, size: int) -> Tnum:
    """Keep the low ``size`` bytes (kernel ``tnum_cast``).

    >>> cast(tnum_const(0x1234), 1)
    Tnum(value=0x34, mask=0x0)
    """
    m = (1 << (size * 8)) - 1
    return _t(a[0] & m, a[1] & m)


def is_const(a: Tnum) -> bool:
    """Whether every bit is known."""
    return not a[1]


def is_unknown(a: Tnum) -> bool:
    """Whether every bit is unknown."""
    return a[1] == U64


def is_aligned(a: Tnum, size: int) -> bool:
    """Whether every member of ``a`` is a multiple of ``size`` (a power of two; 0 is true)."""
    if not size:
        return True
    return not ((a[0] | a[1]) & (size - 1))


def in_(a: Tnum, b: Tnum) -> bool:
    """Whether every member of ``b`` is a member of ``a`` (kernel ``tnum_in(a, b)``).

    >>> in_(tnum_range(0, 7), tnum_const(5)), in_(tnum_const(5), tnum_range(0, 7))
    (True, False)
    """
    if b[1] & ~a[1]:
        return False
    return a[0] == (b[0] & ~a[1])


def subreg(a: Tnum) -> Tnum:
    """The low 32 bits (kernel ``tnum_subreg``)."""
    return _t(a[0] & U32, a[1] & U32)


def clear_subreg(a: Tnum) -> Tnum:
    """``a`` with the low 32 bits known zero."""
    return _t(a[0] & _HIGH32, a[1] & _HIGH32)


def with_subreg(reg: Tnum, sub_: Tnum) -> Tnum:
    """The high half of ``reg`` with the low half of ``sub_``."""
    return _t((reg[0] & _HIGH32) | (sub_[0] & U32), (reg[1] & _HIGH32) | (sub_[1] & U32))


def const_subreg(a: Tnum, value: int) -> Tnum:
    """The high half of ``a`` with the low half known to be ``value``."""
    return _t((a[0] & _HIGH32) | (value & U32), a[1] & _HIGH32)


def subreg_is_const(a: Tnum) -> bool:
    """Whether the low 32 bits are all known."""
    return not (a[1] & U32)


def _swab(x: int, nbytes: int) -> int:
    return int.from_bytes((x & ((1 << (8 * nbytes)) - 1)).to_bytes(nbytes, "little"), "big")


def bswap16(a: Tnum) -> Tnum:
    """Swap the two low bytes, clearing the rest."""
    return _t(_swab(a[0], 2), _swab(a[1], 2))


def bswap32(a: Tnum) -> Tnum:
    """Swap the four low bytes, clearing the rest."""
    return _t(_swab(a[0], 4), _swab(a[1], 4))


def bswap64(a: Tnum) -> Tnum:
    """Reverse all eight bytes."""
    return _t(_swab(a[0], 8), _swab(a[1], 8))


def step(a: Tnum, z: int) -> int:
    """The smallest member of ``a`` above ``z`` (kernel ``tnum_step``; clamps to min/max member).

    >>> step(Tnum(0b10, 0b101), 2)
    3
    >>> step(Tnum(0b10, 0b101), 3)
    6
    """
    v, m = a[0], a[1]
    tmax = v | m
    if z >= tmax:
        return tmax
    if z < v:
        return v
    if v | (z & m) > z:
        # the most significant position where a known 1 of a meets a 0 of z
        k = (~z & v & ~m & U64).bit_length()
        q = (U64 << k) & U64
        return (q & z) | (~q & v & U64)
    # the most significant known 0 of a under a 1 of z: bump the unknown bits above it
    k = (z & ~v & ~m & U64).bit_length()
    q = (U64 << k) & U64
    u = ((q & m & z) | (q & ~m & U64)) + (1 << k)
    return ((u & m) | v) & U64


def strn(a: Tnum) -> str:
    """``(value; mask)`` in hex, as the kernel's ``tnum_strn`` (zero prints as ``0x0``)."""
    return f"({a[0]:#x}; {a[1]:#x})"


def sbin(a: Tnum) -> str:
    """The 64 bits as ``0``/``1``/``x`` characters, most significant first (``tnum_sbin``)."""
    return "".join(
        "x" if (a[1] >> i) & 1 else "1" if (a[0] >> i) & 1 else "0" for i in range(63, -1, -1)
    )


def members(a: Tnum) -> int:
    """How many values ``a`` stands for (2 ** unknown bits)."""
    return 1 << a[1].bit_count()


def contains(a: Tnum, x: int) -> bool:
    """Whether the concrete value ``x`` (taken modulo 2**64) is a member of ``a``."""
    return (x & U64 & ~a[1]) == a[0]
