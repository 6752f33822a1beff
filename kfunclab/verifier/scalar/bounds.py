"""The bounds of a scalar on plain ints: the kernel's ``reg_bounds_sync`` and its vocabulary.

The ten fields of a :class:`~kfunclab.verifier.scalar.value.Scalar` unpacked (tnum value and
mask, then smin, smax, umin, umax, s32_min, s32_max, u32_min, u32_max) go in and come out as a
tuple: the hot paths of the ALU and branch transfer work on unpacked fields, and the value module
builds (and memoises) the Scalar.

>>> sync_raw(0, U64, S64_MIN, S64_MAX, 6, 9, S32_MIN, S32_MAX, 0, U32)[:2]
(0, 15)
"""

from __future__ import annotations

from kfunclab.verifier import tnum
from kfunclab.verifier.tnum import U32, U64

S64_MIN = -(1 << 63)
S64_MAX = (1 << 63) - 1
S32_MIN = -(1 << 31)
S32_MAX = (1 << 31) - 1
SIGN64 = 1 << 63
SIGN32 = 1 << 31
HIGH32 = U64 ^ U32


def s64(x: int) -> int:
    """Reinterpret the low 64 bits of ``x`` as signed."""
    x &= U64
    return x - (1 << 64) if x & SIGN64 else x


def s32(x: int) -> int:
    """Reinterpret the low 32 bits of ``x`` as signed."""
    x &= U32
    return x - (1 << 32) if x & SIGN32 else x


#: How many times reg_bounds_sync() runs __reg_deduce_bounds() (3 in the 6.18 stable series).
DEDUCE_ROUNDS = 3
#: Whether __update_reg64_bounds() snaps to a constant when u64 range and tnum share one value.
TNUM_STEP = True


def sync_raw(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max) -> tuple:
    """``reg_bounds_sync`` on unpacked fields, returning the ten fields.

    tnum → bounds, 32/64 and signed/unsigned deductions, bounds → tnum.
    :func:`~kfunclab.verifier.scalar.value.sync_fields` builds the Scalar and memoises it.
    """
    # __update_reg_bounds: 32-bit half, then 64-bit
    v32 = vv & U32
    m32 = vm & U32
    t = v32 | (m32 & SIGN32)
    t = t - (1 << 32) if t & SIGN32 else t
    if t > s32min:
        s32min = t
    t = v32 | (m32 & 0x7FFFFFFF)
    t = t - (1 << 32) if t & SIGN32 else t
    if t < s32max:
        s32max = t
    if v32 > u32min:
        u32min = v32
    if v32 | m32 < u32max:
        u32max = v32 | m32
    t = vv | (vm & SIGN64)
    t = t - (1 << 64) if t & SIGN64 else t
    if t > smin:
        smin = t
    t = vv | (vm & S64_MAX)
    t = t - (1 << 64) if t & SIGN64 else t
    if t < smax:
        smax = t
    if vv > umin:
        umin = vv
    if vv | vm < umax:
        umax = vv | vm
    if TNUM_STEP and not (
        umin < umax and (umin & ~vm) == vv and (umax & ~vm) == vv
    ):  # two distinct members of the tnum in range: nothing to snap
        vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max = snap_tnum_step(
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
            slo = lo - (1 << 32) if lo & SIGN32 else lo
            shi = hi - (1 << 32) if hi & SIGN32 else hi
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
            slo = lo - (1 << 32) if lo & SIGN32 else lo
            shi = hi - (1 << 32) if hi & SIGN32 else hi
            if slo <= shi:
                if slo > s32min:
                    s32min = slo
                if shi < s32max:
                    s32max = shi
        if (((umin >> 32) + 1) & U32) == (umax >> 32) and umin & SIGN32 and not umax & SIGN32:
            slo = (umin & U32) - (1 << 32)
            shi = umax & U32
            if slo > s32min:
                s32min = slo
            if shi < s32max:
                s32max = shi
        if (((smin >> 32) + 1) & U32) == ((smax >> 32) & U32) and smin & SIGN32 and not (
            smax & SIGN32
        ):
            slo = (smin & U32) - (1 << 32)
            shi = smax & U32
            if slo > s32min:
                s32min = slo
            if shi < s32max:
                s32max = shi
        # u32 range that forms a valid s32 range
        slo = u32min - (1 << 32) if u32min & SIGN32 else u32min
        shi = u32max - (1 << 32) if u32max & SIGN32 else u32max
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
            s32min = u32min - (1 << 32) if u32min & SIGN32 else u32min
            if hi < u32max:
                u32max = hi
        elif hi < u32min:
            # ... or in its negative part
            s32max = u32max - (1 << 32) if u32max & SIGN32 else u32max
            if lo > u32min:
                u32min = lo

        # __reg64_deduce_bounds
        slo = umin - (1 << 64) if umin & SIGN64 else umin
        shi = umax - (1 << 64) if umax & SIGN64 else umax
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
            smin = umin - (1 << 64) if umin & SIGN64 else umin
            if hi < umax:
                umax = hi
        elif hi < umin:
            smax = umax - (1 << 64) if umax & SIGN64 else umax
            if lo > umin:
                umin = lo

        # __reg_deduce_mixed_bounds
        t = (umin & HIGH32) | u32min
        if t > umin:
            umin = t
        t = (umax & HIGH32) | u32max
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
    vv = (v64 & HIGH32) | (v32 & ~m32)
    vm = (m64 & HIGH32) | m32

    # __update_reg_bounds once more
    v32 = vv & U32
    m32 = vm & U32
    t = v32 | (m32 & SIGN32)
    t = t - (1 << 32) if t & SIGN32 else t
    if t > s32min:
        s32min = t
    t = v32 | (m32 & 0x7FFFFFFF)
    t = t - (1 << 32) if t & SIGN32 else t
    if t < s32max:
        s32max = t
    if v32 > u32min:
        u32min = v32
    if v32 | m32 < u32max:
        u32max = v32 | m32
    t = vv | (vm & SIGN64)
    t = t - (1 << 64) if t & SIGN64 else t
    if t > smin:
        smin = t
    t = vv | (vm & S64_MAX)
    t = t - (1 << 64) if t & SIGN64 else t
    if t < smax:
        smax = t
    if vv > umin:
        umin = vv
    if vv | vm < umax:
        umax = vv | vm
    if TNUM_STEP and not (
        umin < umax and (umin & ~vm) == vv and (umax & ~vm) == vv
    ):
        return snap_tnum_step(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max)
    return vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max


def snap_tnum_step(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max):
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
    return (known, 0, s64(known), s64(known), known, known, s32(lo), s32(lo), lo, lo)


def update_bounds(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max) -> tuple:
    """``__update_reg_bounds`` on unpacked fields, including the tnum_step snap."""
    v32 = vv & U32
    m32 = vm & U32
    s32min = max(s32min, s32(v32 | (m32 & SIGN32)))
    s32max = min(s32max, s32(v32 | (m32 & 0x7FFFFFFF)))
    u32min = max(u32min, v32)
    u32max = min(u32max, v32 | m32)
    smin = max(smin, s64(vv | (vm & SIGN64)))
    smax = min(smax, s64(vv | (vm & S64_MAX)))
    umin = max(umin, vv)
    umax = min(umax, vv | vm)
    if TNUM_STEP and not (umin < umax and (umin & ~vm) == vv and (umax & ~vm) == vv):
        return snap_tnum_step(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max)
    return vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max
