"""The kernel's 8-byte instruction format: ``struct bpf_insn`` both ways.

Each slot is ``code:u8, dst_reg:4 (low nibble), src_reg:4 (high nibble), off:s16, imm:s32``,
little-endian, exactly as ``include/uapi/linux/bpf.h`` lays it out. A 64-bit immediate load
takes two slots: the low 32 bits of the constant in the first ``imm``, the high 32 bits in the
second (whose other fields are zero).

Loader conventions: ``r1 = mymap ll`` encodes ``src_reg=1`` (BPF_PSEUDO_MAP_FD) with ``imm=0``
(the loader patches the map fd in); ``call kfunc`` encodes ``src_reg=2`` (BPF_PSEUDO_KFUNC_CALL)
with ``imm`` = the BTF id (0 until a link step resolves it).

>>> from kfunclab.isa.insn import Alu, AluOp
>>> encode(Alu(AluOp.MOV, dst=1, src=None, imm=1)).hex()
'b701000001000000'
>>> decode(bytes.fromhex("b701000001000000"))
(Alu(op=<AluOp.MOV: 176>, dst=1, src=None, imm=1, wide=True, off=0),)
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable

from kfunclab.errors import ProgramError
from kfunclab.isa.helpers import helper_name
from kfunclab.isa.insn import (
    IMM64_TAIL,
    MAX_REGISTER,
    Alu,
    AluOp,
    Atomic,
    AtomicOp,
    Call,
    CallKind,
    Endian,
    EndianKind,
    Exit,
    Goto,
    Imm64Kind,
    Imm64Tail,
    Insn,
    JmpOp,
    Jump,
    Load,
    LoadImm64,
    LoadPacket,
    MayGoto,
    PacketMode,
    Size,
    Store,
    StoreImm,
)

# Instruction classes, source flags, sizes and modes (include/uapi/linux/bpf_common.h, bpf.h).
BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_ALU, BPF_JMP, BPF_JMP32, BPF_ALU64 = range(8)
BPF_K, BPF_X = 0x00, 0x08
BPF_IMM, BPF_ABS, BPF_IND, BPF_MEM, BPF_MEMSX, BPF_ATOMIC = 0x00, 0x20, 0x40, 0x60, 0x80, 0xC0
BPF_JA, BPF_CALL, BPF_EXIT, BPF_JCOND, BPF_NEG, BPF_END = 0x00, 0x80, 0x90, 0xE0, 0x80, 0xD0
BPF_TO_LE, BPF_TO_BE = 0x00, 0x08
BPF_FETCH = 0x01
BPF_MAY_GOTO = 0  # src_reg of BPF_JCOND: the only condition the kernel defines
LD_IMM64 = BPF_LD | BPF_IMM | 0x18

SIZE_BITS: dict[Size, int] = {Size.W: 0x00, Size.H: 0x08, Size.B: 0x10, Size.DW: 0x18}
_BITS_SIZE = {v: k for k, v in SIZE_BITS.items()}
_ENDIAN_CODE = {EndianKind.LE: BPF_ALU | BPF_END | BPF_TO_LE,
                EndianKind.BE: BPF_ALU | BPF_END | BPF_TO_BE,
                EndianKind.BSWAP: BPF_ALU64 | BPF_END}
_ALU_OPS = {int(op) for op in AluOp}
_JMP_OPS = {int(op) for op in JmpOp}
_ATOMIC_IMMS = {int(op) | fetch for op in AtomicOp for fetch in (0, BPF_FETCH)
                if op not in (AtomicOp.XCHG, AtomicOp.CMPXCHG) or fetch}

_SLOT = struct.Struct("<BBhi")

Fields = tuple[int, int, int, int, int]  # code, dst_reg, src_reg, off, imm


class DecodeError(ProgramError):
    """Bytes that are not a valid instruction kfunclab can represent; says which slot."""

    def __init__(self, slot: int, message: str) -> None:
        self.slot = slot
        super().__init__(f"slot {slot}: {message}")


def fields(insn: Insn) -> Fields:
    """``(code, dst_reg, src_reg, off, imm)`` of ``insn``'s first slot (imm: low 32 bits).

    >>> from kfunclab.isa.insn import Exit
    >>> fields(Exit())
    (149, 0, 0, 0, 0)
    """
    match insn:
        case Alu(op=AluOp.NEG, dst=dst, wide=wide):
            return (BPF_ALU64 if wide else BPF_ALU) | BPF_NEG, dst, 0, 0, 0
        case Alu(op=op, dst=dst, src=None, imm=imm, wide=wide, off=off):
            return (BPF_ALU64 if wide else BPF_ALU) | op | BPF_K, dst, 0, off, imm
        case Alu(op=op, dst=dst, src=src, wide=wide, off=off):
            return (BPF_ALU64 if wide else BPF_ALU) | op | BPF_X, dst, src, off, 0
        case Endian(kind=kind, dst=dst, bits=bits):
            return _ENDIAN_CODE[kind], dst, 0, 0, bits
        case Jump(op=op, dst=dst, src=None, imm=imm, off=off, wide=wide):
            return (BPF_JMP if wide else BPF_JMP32) | op | BPF_K, dst, 0, off, imm
        case Jump(op=op, dst=dst, src=src, off=off, wide=wide):
            return (BPF_JMP if wide else BPF_JMP32) | op | BPF_X, dst, src, off, 0
        case Goto(off=off, long=False):
            return BPF_JMP | BPF_JA, 0, 0, off, 0
        case Goto(off=off, long=True):
            return BPF_JMP32 | BPF_JA, 0, 0, 0, off
        case MayGoto(off=off):
            return BPF_JMP | BPF_JCOND, 0, BPF_MAY_GOTO, off, 0
        case Call(kind=kind, imm=imm):
            return BPF_JMP | BPF_CALL, 0, kind.value, 0, imm
        case Exit():
            return BPF_JMP | BPF_EXIT, 0, 0, 0, 0
        case Load(size=size, dst=dst, src=src, off=off, signed=signed):
            mode = BPF_MEMSX if signed else BPF_MEM
            return BPF_LDX | mode | SIZE_BITS[size], dst, src, off, 0
        case Store(size=size, dst=dst, off=off, src=src):
            return BPF_STX | BPF_MEM | SIZE_BITS[size], dst, src, off, 0
        case StoreImm(size=size, dst=dst, off=off, imm=imm):
            return BPF_ST | BPF_MEM | SIZE_BITS[size], dst, 0, off, imm
        case Atomic(size=size, dst=dst, off=off, src=src, op=op, fetch=fetch):
            always = op in (AtomicOp.XCHG, AtomicOp.CMPXCHG)
            imm = op | (BPF_FETCH if fetch or always else 0)
            return BPF_STX | BPF_ATOMIC | SIZE_BITS[size], dst, src, off, imm
        case LoadImm64(dst=dst, imm=imm, kind=kind):
            return LD_IMM64, dst, kind.value, 0, _s32(imm & 0xFFFFFFFF)
        case LoadPacket(size=size, mode=mode, src=src, imm=imm):
            return BPF_LD | mode | SIZE_BITS[size], 0, src or 0, 0, imm
        case Imm64Tail():
            return 0, 0, 0, 0, 0
    raise ProgramError(f"cannot encode {insn!r}: not an instruction")


def opcode(insn: Insn) -> int:
    """The ``code`` byte the kernel log prints as ``(bf)``."""
    return fields(insn)[0]


def encode(insn: Insn) -> bytes:
    """The 8 bytes of ``insn`` (16 for a :class:`LoadImm64`).

    >>> from kfunclab.isa.insn import LoadImm64
    >>> encode(LoadImm64(dst=1, imm=0x1234)).hex()
    '18010000341200000000000000000000'
    """
    code, dst, src, off, imm = fields(insn)
    if not (0 <= dst <= 0xF and 0 <= src <= 0xF and -(1 << 15) <= off < 1 << 15
            and -(1 << 31) <= imm < 1 << 31):
        raise ProgramError(f"cannot encode {insn!r}: a register or field is out of range")
    first = _SLOT.pack(code, dst | src << 4, off, imm)
    if isinstance(insn, LoadImm64):
        if not -(1 << 63) <= insn.imm < 1 << 64:
            raise ProgramError(f"cannot encode {insn!r}: imm does not fit 64 bits")
        return first + _SLOT.pack(0, 0, 0, _s32((insn.imm >> 32) & 0xFFFFFFFF))
    return first


def encode_program(program: object) -> bytes:
    """The instruction bytes of a :class:`~kfunclab.isa.program.Program` (or of insns).

    Tail slots are skipped: each :class:`LoadImm64` writes both of its slots.

    >>> from kfunclab.isa.parser import parse_program
    >>> encode_program(parse_program('# SEC("xdp")\\n r0 = 2\\n exit\\n')).hex()
    'b7000000020000009500000000000000'
    """
    insns: Iterable[Insn] = getattr(program, "insns", program)  # type: ignore[assignment]
    return b"".join(encode(i) for i in insns if not isinstance(i, Imm64Tail))


def _s32(value: int) -> int:
    return value - (1 << 32) if value & 0x80000000 else value


def decode(data: bytes, resolve_kfunc: Callable[[int], str | None] | None = None
           ) -> tuple[Insn, ...]:
    """Instructions by slot from raw bytes; a :class:`LoadImm64` is followed by ``IMM64_TAIL``.

    Helper calls get their name from the helper table; kfunc calls get ``resolve_kfunc(imm)``
    (None without a resolver). Anything that is not a valid instruction raises
    :class:`DecodeError` naming the slot.

    >>> decode(bytes.fromhex("85000000070000009500000000000000"))
    (Call(kind=<CallKind.HELPER: 0>, imm=7, name='bpf_get_prandom_u32'), Exit())
    """
    if len(data) % 8:
        raise DecodeError(len(data) // 8, f"{len(data)} bytes is not a whole number of "
                                          "8-byte instructions")
    slots = [_SLOT.unpack_from(data, i) for i in range(0, len(data), 8)]
    out: list[Insn] = []
    pc = 0
    while pc < len(slots):
        code, regs, off, imm = slots[pc]
        dst, src = regs & 0xF, regs >> 4
        if code == LD_IMM64:
            out.append(_decode_ld_imm64(pc, slots, dst, src, off, imm))
            out.append(IMM64_TAIL)
            pc += 2
            continue
        # a register number past r10 decodes: the verifier refuses it where the kernel's
        # check_reg_arg() does ("R15 is invalid"), after the passes that come before
        insn = _DECODERS[code & 0x07](code, dst, src, off, imm, resolve_kfunc)
        if insn is None:
            raise DecodeError(pc, f"({code:02x}) dst_reg={dst} src_reg={src} off={off} "
                                  f"imm={imm} is not a valid instruction")
        out.append(insn)
        pc += 1
    return tuple(out)


def _decode_ld_imm64(pc: int, slots: list[tuple[int, int, int, int]], dst: int, src: int,
                     off: int, imm: int) -> LoadImm64:
    if pc + 1 >= len(slots):
        raise DecodeError(pc, "(18) ld_imm64 is missing its second slot")
    code2, regs2, off2, imm2 = slots[pc + 1]
    if code2 or regs2 or off2:
        raise DecodeError(pc + 1, "second slot of ld_imm64 must have code, registers and off 0")
    if dst > MAX_REGISTER or off:
        raise DecodeError(pc, f"(18) with dst_reg={dst} off={off} is not a valid ld_imm64")
    try:
        kind = Imm64Kind(src)
    except ValueError:
        raise DecodeError(pc, f"(18) ld_imm64 with src_reg={src} is not supported") from None
    if kind is Imm64Kind.FUNC:  # a callback's address: insn[0].imm alone, pc-relative (s32)
        return LoadImm64(dst, _s32(imm & 0xFFFFFFFF), kind)
    value = (imm & 0xFFFFFFFF) | (imm2 & 0xFFFFFFFF) << 32
    return LoadImm64(dst, value - (1 << 64) if value >> 63 else value, kind)


Resolver = Callable[[int], str | None] | None


def _decode_alu(code: int, dst: int, src: int, off: int, imm: int, _r: Resolver) -> Insn | None:
    wide = code & 0x07 == BPF_ALU64
    op, x = code & 0xF0, code & BPF_X
    if op == BPF_END:
        if src or off or imm not in (16, 32, 64) or (wide and x):
            return None
        kind = EndianKind.BSWAP if wide else EndianKind.BE if x else EndianKind.LE
        return Endian(kind, dst, imm)
    if op == BPF_NEG:
        return Alu(AluOp.NEG, dst, None, 0, wide) if not (x or src or off or imm) else None
    if op not in _ALU_OPS:
        return None
    allowed_off = {0}
    if op in (AluOp.DIV, AluOp.MOD):
        allowed_off = {0, 1}
    elif op == AluOp.MOV and x:
        allowed_off = {0, 8, 16, 32} if wide else {0, 8, 16}
    if off not in allowed_off:
        return None
    if x:
        return Alu(AluOp(op), dst, src, 0, wide, off) if not imm else None
    return Alu(AluOp(op), dst, None, imm, wide, off) if not src else None


def _decode_jmp(code: int, dst: int, src: int, off: int, imm: int, resolve: Resolver
                ) -> Insn | None:
    wide = code & 0x07 == BPF_JMP
    op, x = code & 0xF0, code & BPF_X
    if op == BPF_JA:
        if x or dst or src:
            return None
        if wide:
            return Goto(off) if not imm else None
        return Goto(imm, long=True) if not off else None
    if op == BPF_CALL:
        if not wide or x or dst or off or src > CallKind.KFUNC.value:
            return None
        kind = CallKind(src)
        if kind is CallKind.HELPER:
            return Call(kind, imm, helper_name(imm))
        if kind is CallKind.KFUNC:
            return Call(kind, imm, resolve(imm) if resolve else None)
        return Call(kind, imm)
    if op == BPF_EXIT:
        return Exit() if wide and not (x or dst or src or off or imm) else None
    if op == BPF_JCOND:
        # only the JMP class has it; other fields must be zero (check_cond_jmp_op() refuses
        # them as "invalid may_goto imm", which a decoded program cannot express)
        ok = wide and not (x or dst or imm) and src == BPF_MAY_GOTO
        return MayGoto(off) if ok else None
    if op not in _JMP_OPS:
        return None  # reserved ops
    if x:
        return Jump(JmpOp(op), dst, src, 0, off, wide) if not imm else None
    return Jump(JmpOp(op), dst, None, imm, off, wide) if not src else None


def _decode_ldx(code: int, dst: int, src: int, off: int, imm: int, _r: Resolver) -> Insn | None:
    mode, size = code & 0xE0, _BITS_SIZE[code & 0x18]
    if imm or mode not in (BPF_MEM, BPF_MEMSX) or (mode == BPF_MEMSX and size is Size.DW):
        return None
    return Load(size, dst, src, off, signed=mode == BPF_MEMSX)


def _decode_st(code: int, dst: int, src: int, off: int, imm: int, _r: Resolver) -> Insn | None:
    if code & 0xE0 != BPF_MEM or src:
        return None
    return StoreImm(_BITS_SIZE[code & 0x18], dst, off, imm)


def _decode_stx(code: int, dst: int, src: int, off: int, imm: int, _r: Resolver) -> Insn | None:
    mode, size = code & 0xE0, _BITS_SIZE[code & 0x18]
    if mode == BPF_MEM:
        return Store(size, dst, off, src) if not imm else None
    if mode != BPF_ATOMIC or size not in (Size.W, Size.DW) or imm not in _ATOMIC_IMMS:
        return None  # includes load-acquire/store-release (imm 0x100/0x110): not modelled
    return Atomic(size, dst, off, src, AtomicOp(imm & ~BPF_FETCH), fetch=bool(imm & BPF_FETCH))


def _decode_ld(code: int, dst: int, src: int, off: int, imm: int, _r: Resolver) -> Insn | None:
    mode, size = code & 0xE0, _BITS_SIZE[code & 0x18]
    if mode not in (BPF_ABS, BPF_IND) or size is Size.DW or dst or off:
        return None
    if mode == BPF_ABS:
        return LoadPacket(size, PacketMode.ABS, None, imm) if not src else None
    return LoadPacket(size, PacketMode.IND, src, imm)


_DECODERS: dict[int, Callable[[int, int, int, int, int, Resolver], Insn | None]] = {
    BPF_LD: _decode_ld, BPF_LDX: _decode_ldx, BPF_ST: _decode_st, BPF_STX: _decode_stx,
    BPF_ALU: _decode_alu, BPF_ALU64: _decode_alu, BPF_JMP: _decode_jmp, BPF_JMP32: _decode_jmp,
}
