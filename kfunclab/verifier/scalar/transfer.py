"""ALU transfer: what ``dst op= src`` makes of two scalars (``adjust_scalar_min_max_vals``).

>>> r0 = alu(AluOp.AND, Scalar.unknown(), Scalar.const(7), wide=True)
>>> format_scalar(alu(AluOp.ADD, r0, Scalar.const(5), wide=True))
'scalar(smin=umin=smin32=umin32=5,smax=umax=smax32=umax32=12,var_off=(0x0; 0xf))'
"""

from __future__ import annotations

from kfunclab.isa.insn import AluOp, EndianKind
from kfunclab.verifier import tnum
from kfunclab.verifier.scalar.bounds import (
    HIGH32,
    S32_MAX,
    S32_MIN,
    S64_MAX,
    S64_MIN,
    SIGN32,
    s32,
    s64,
    update_bounds,
)
from kfunclab.verifier.scalar.casts import sign_extend, sign_extend32, truncate, zext
from kfunclab.verifier.scalar.value import (
    CACHE_LIMIT,
    UNKNOWN,
    Scalar,
    const_scalar,
    format_scalar,  # noqa: F401 - the docstring examples print with it
    make,
    sane,
    sync,
    sync_fields,
    unpack,
)
from kfunclab.verifier.tnum import U32, U64

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
        s32min = s32max = s32(v32)
        u32min = u32max = v32
    else:
        if op is _AND:
            u32min, u32max = v32, min(u32max, s[8])
        elif op is _OR:
            u32min, u32max = max(u32min, s[7]), v32 | m32
        else:
            u32min, u32max = v32, v32 | m32
        if s32(u32min) <= s32(u32max):
            s32min, s32max = s32(u32min), s32(u32max)
        else:
            s32min, s32max = S32_MIN, S32_MAX
    # scalar_min_max_*: runs for ALU32 too, and its __update_reg_bounds can refine the subreg
    if not (vm or s_t[1]):
        c = const_scalar(vv)
        return (vv, 0, *c[1:])
    if op is _AND:
        umin, umax = vv, min(umax, s[4])
    elif op is _OR:
        umin, umax = max(umin, s[3]), vv | vm
    else:
        umin, umax = vv, vv | vm
    if s64(umin) <= s64(umax):
        smin, smax = s64(umin), s64(umax)
    else:
        smin, smax = S64_MIN, S64_MAX
    return update_bounds(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max)


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
        return update_bounds(vv, vm, smin, smax, umin, umax, s32min, s32max, u32min, u32max)
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
            max(s32min, s32(v32 | (m32 & SIGN32))), min(s32max, s32(v32 | (m32 & 0x7FFFFFFF))),
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
            return UNKNOWN if r is None else const_scalar(r)
    if op == _MOV:
        return _mov(dst, src, wide, off, checked)
    key = (op, wide, off, dst, src, checked)
    r = _CACHE.get(key)
    if r is not None:
        return r
    r = _alu(op, dst, src, wide)
    if checked:
        r = sane(r)
    if len(_CACHE) >= CACHE_LIMIT:
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
        f = zext(make(*f))
    return sync_fields(*f)


ZERO = const_scalar(0)


def _mov(dst: Scalar, src: Scalar, wide: bool, off: int, checked: bool) -> Scalar:
    """MOV and MOVSX (``check_alu_op``'s BPF_MOV branch) for a scalar source."""
    if wide:
        if off == 0:
            return src
        if off not in (8, 16, 32):
            raise ValueError(f"BPF_MOV off must be 0, 8, 16 or 32, not {off}")
        r = sign_extend(src, off // 8)
    elif off == 0:
        r = sync_fields(*zext(src))
    elif off in (8, 16):
        r = sync_fields(*zext(sign_extend32(src, off // 8)))
    else:
        raise ValueError(f"32-bit BPF_MOV off must be 0, 8 or 16, not {off}")
    return sane(r) if checked else r


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
        return const_scalar(-1), ZERO
    if dst[5] == -1 and dst[6] == 0:
        (vv, vm), smin, smax, umin, umax = dst[:5]
        hv, hm = vv & HIGH32, vm & HIGH32
        return (make(hv | U32, hm, smin, smax, umin, umax, -1, -1, U32, U32),
                make(hv, hm, smin, smax, umin, umax, 0, 0, 0, 0))
    return None


def linked_add(known: Scalar, delta: int, zext32: bool = False) -> Scalar:
    """``sync_linked_regs``' "reg = known_reg; reg += delta" for a register linked by ``+= K``.

    The 64-bit and 32-bit add bounds plus ``tnum_add`` (no sanity check), zero-extended when the
    link was made by an ALU32 add (``BPF_ADD_CONST32``), then ``reg_bounds_sync``.

    >>> format_scalar(linked_add(Scalar.range_u(10, 20), -4))
    'scalar(smin=umin=smin32=umin32=6,smax=umax=smax32=umax32=16,var_off=(0x0; 0x1f))'
    """
    f = _add(known, const_scalar(delta), True)
    if zext32:
        f = zext(make(*f))
    return sync_fields(*f)


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
            return sane(sync(x))
        return sane(sync_fields(*unpack(truncate(x, bits // 8))))
    t = x[0]
    t = tnum.bswap16(t) if bits == 16 else tnum.bswap32(t) if bits == 32 else tnum.bswap64(t)
    y = make(t[0], t[1], S64_MIN, S64_MAX, 0, U64, S32_MIN, S32_MAX, 0, U32)
    if bits != 64:
        y = truncate(y, bits // 8)
    return sane(sync_fields(*unpack(y)))
