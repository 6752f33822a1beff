"""Width changes of a scalar: zero-extension, truncation, sign-extension, loaded values.

>>> format_scalar(truncate(Scalar.unknown(), 4))
'scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))'
"""

from __future__ import annotations

from kfunclab.verifier import tnum
from kfunclab.verifier.scalar.bounds import S32_MAX, S32_MIN, s32
from kfunclab.verifier.scalar.value import (
    UNKNOWN,
    Scalar,
    const_scalar,
    format_scalar,  # noqa: F401 - the docstring examples print with it
    make,
    sync_fields,
)
from kfunclab.verifier.tnum import U32, U64


def zext(x: Scalar) -> tuple:
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
    return sync_fields(vv, vm, umin, umax, umin, umax, s32min, s32max, u32min, u32max)


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
        return const_scalar(_sext(vv, size))
    bits = size * 8
    if ((smax & U64) >> bits) == ((smin & U64) >> bits):
        a = _sext(smax, size)
        b = _sext(smin, size)
        hi, lo = max(a, b), min(a, b)
        if (hi >= 0) == (lo >= 0):
            rv, rm = tnum.tnum_range(lo, hi)
            return make(rv, rm, lo, hi, lo & U64, hi & U64, s32(lo), s32(hi), lo & U32,
                       hi & U32)
    lo, hi = _SX_LIMITS[size]
    return make(0, U64, lo, hi, 0, U64, lo, hi, 0, U32)


def sign_extend32(x: Scalar, size: int) -> Scalar:
    """``coerce_subreg_to_size_sx``: ``w1 = (s8)w2`` before zero-extension and sync."""
    (vv, vm), smin, smax, umin, umax, s32min, s32max, _, _ = x
    if not vm:
        c = _sext(vv, size) & U32
        return make(c, 0, smin, smax, umin, umax, s32(c), s32(c), c, c)
    bits = size * 8
    if ((s32max & U32) >> bits) == ((s32min & U32) >> bits):
        a = _sext(s32max, size)
        b = _sext(s32min, size)
        hi, lo = max(a, b), min(a, b)
        if (hi >= 0) == (lo >= 0):
            rv, rm = tnum.tnum_range(lo, hi)
            return make(rv & U32, rm & U32, smin, smax, umin, umax, lo, hi, lo & U32, hi & U32)
    lo, hi = _SX_LIMITS[size]
    return make(0, U32, smin, smax, umin, umax, lo, hi, 0, U32)


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
