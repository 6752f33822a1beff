"""BPF instructions as small immutable values.

One frozen dataclass per kind of instruction; :data:`Insn` is their closed union and code that
consumes instructions dispatches with ``match``. Fields carry the instruction's *meaning* (which
operation, which registers, which offset); the 8-byte encoding lives in :mod:`kfunclab.isa.encoding`
and the text forms in :mod:`kfunclab.isa.parser` / :mod:`kfunclab.isa.printer`.

Instruction indices everywhere in kfunclab are the kernel's *slot* indices: a 64-bit immediate load
(``r1 = 0x1234 ll``) occupies two slots, and the second one holds :data:`IMM64_TAIL` so that
``program.insns[i]`` is always the instruction the kernel calls ``insn i``.

>>> Alu(AluOp.ADD, dst=1, src=None, imm=4)
Alu(op=<AluOp.ADD: 0>, dst=1, src=None, imm=4, wide=True, off=0)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum


class Size(IntEnum):
    """Access width in bytes, named as the kernel's BPF_B/H/W/DW."""

    B = 1
    H = 2
    W = 4
    DW = 8


class AluOp(IntEnum):
    """ALU operation; the value is the kernel's opcode bits (``BPF_OP``).

    Signed division and modulo are ``DIV``/``MOD`` with ``off=1``; sign-extending moves are ``MOV``
    with ``off`` 8, 16 or 32, exactly as the kernel encodes them.
    """

    ADD = 0x00
    SUB = 0x10
    MUL = 0x20
    DIV = 0x30
    OR = 0x40
    AND = 0x50
    LSH = 0x60
    RSH = 0x70
    NEG = 0x80
    MOD = 0x90
    XOR = 0xA0
    MOV = 0xB0
    ARSH = 0xC0


class EndianKind(Enum):
    """Byte-swap flavours: ``be16 r1`` / ``le32 r1`` (ALU class) and ``bswap64 r1`` (ALU64)."""

    BE = "be"
    LE = "le"
    BSWAP = "bswap"


class JmpOp(IntEnum):
    """Conditional jump operation; the value is the kernel's ``BPF_OP`` bits."""

    JEQ = 0x10
    JGT = 0x20
    JGE = 0x30
    JSET = 0x40
    JNE = 0x50
    JSGT = 0x60
    JSGE = 0x70
    JLT = 0xA0
    JLE = 0xB0
    JSLT = 0xC0
    JSLE = 0xD0


class CallKind(Enum):
    """What a ``call`` calls, as the kernel tells from ``src_reg``."""

    HELPER = 0  # imm is the helper id (enum bpf_func_id)
    SUBPROG = 1  # BPF_PSEUDO_CALL: imm is the slot offset of the callee, relative to the next insn
    KFUNC = 2  # BPF_PSEUDO_KFUNC_CALL: imm is the kfunc's BTF id (0 until a loader resolves it)


class AtomicOp(IntEnum):
    """Atomic read-modify-write operation; the value is the kernel's ``imm`` bits without FETCH."""

    ADD = 0x00
    OR = 0x40
    AND = 0x50
    XOR = 0xA0
    XCHG = 0xE0  # always fetches
    CMPXCHG = 0xF0  # always fetches; compares with r0


class Imm64Kind(IntEnum):
    """The ``src_reg`` of a 64-bit immediate load: what the loader makes of ``imm``."""

    PLAIN = 0
    MAP_FD = 1  # BPF_PSEUDO_MAP_FD: ``r1 = mymap ll``
    MAP_VALUE = 2  # BPF_PSEUDO_MAP_VALUE
    BTF_ID = 3  # BPF_PSEUDO_BTF_ID
    FUNC = 4  # BPF_PSEUDO_FUNC


class PacketMode(IntEnum):
    """Legacy packet loads: ``r0 = *(u8 *)skb[4]`` (ABS) and ``r0 = *(u8 *)skb[r1 + 4]`` (IND)."""

    ABS = 0x20
    IND = 0x40


@dataclass(frozen=True, slots=True)
class Alu:
    """``dst op= src`` or ``dst op= imm``; ``wide`` is ALU64 (``r`` registers), else 32-bit (``w``).

    ``src`` is None for the immediate form. ``NEG`` uses neither src nor imm.
    """

    op: AluOp
    dst: int
    src: int | None
    imm: int = 0
    wide: bool = True
    off: int = 0


@dataclass(frozen=True, slots=True)
class Endian:
    """``be16 r1``, ``le64 r1``, ``bswap32 r1``: byte order conversion of ``bits`` bits."""

    kind: EndianKind
    dst: int
    bits: int


@dataclass(frozen=True, slots=True)
class Jump:
    """``if dst op src goto +off`` (or ``imm``); ``wide=False`` compares the low 32 bits (``w``)."""

    op: JmpOp
    dst: int
    src: int | None
    imm: int
    off: int
    wide: bool = True


@dataclass(frozen=True, slots=True)
class Goto:
    """``goto +off``; ``long`` is ``gotol`` (JMP32 JA), whose offset the encoding keeps in imm."""

    off: int
    long: bool = False


@dataclass(frozen=True, slots=True)
class MayGoto:
    """``may_goto +off`` (``BPF_JMP | BPF_JCOND``, src_reg ``BPF_MAY_GOTO``): a loop's bound.

    At run time it falls through until a hidden per-frame counter runs out, then jumps; the
    verifier explores the jump first and the fall-through later, one ``may_goto_depth`` deeper.
    """

    off: int


@dataclass(frozen=True, slots=True)
class Call:
    """``call NAME`` / ``call N`` / ``call label``.

    ``name`` is what the program said (helper or kfunc name); a helper call, also ``call N``,
    carries the helper table's name (None for an unknown id); subprogram calls have None. A kfunc
    call's ``imm`` is its BTF id once resolved, else 0.
    """

    kind: CallKind
    imm: int
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Exit:
    """``exit``: return r0 to the caller (or the kernel)."""


@dataclass(frozen=True, slots=True)
class Load:
    """``dst = *(u32 *)(src + off)``; ``signed`` is the sign-extending ``*(s32 *)`` form (MEMSX)."""

    size: Size
    dst: int
    src: int
    off: int
    signed: bool = False


@dataclass(frozen=True, slots=True)
class Store:
    """``*(u64 *)(dst + off) = src``."""

    size: Size
    dst: int
    off: int
    src: int


@dataclass(frozen=True, slots=True)
class StoreImm:
    """``*(u32 *)(dst + off) = imm``."""

    size: Size
    dst: int
    off: int
    imm: int


@dataclass(frozen=True, slots=True)
class Atomic:
    """``lock *(u64 *)(dst + off) += src`` and the fetch / xchg / cmpxchg forms (W or DW only)."""

    size: Size
    dst: int
    off: int
    src: int
    op: AtomicOp
    fetch: bool = False


@dataclass(frozen=True, slots=True)
class LoadImm64:
    """``dst = imm ll`` (two slots); ``map_name`` for ``r1 = mymap ll`` (kind MAP_FD)."""

    dst: int
    imm: int
    kind: Imm64Kind = Imm64Kind.PLAIN
    map_name: str | None = None


@dataclass(frozen=True, slots=True)
class LoadPacket:
    """Legacy ``r0 = *(u32 *)skb[imm]`` (ABS) or ``r0 = *(u32 *)skb[src + imm]`` (IND)."""

    size: Size
    mode: PacketMode
    src: int | None
    imm: int


@dataclass(frozen=True, slots=True)
class Imm64Tail:
    """The second slot of a :class:`LoadImm64`; not an instruction of its own."""


IMM64_TAIL = Imm64Tail()

Insn = (
    Alu | Endian | Jump | Goto | MayGoto | Call | Exit | Load | Store | StoreImm | Atomic
    | LoadImm64 | LoadPacket | Imm64Tail
)

#: Register numbers: r0-r9 general purpose, r10 the read-only frame pointer.
FRAME_POINTER = 10
MAX_REGISTER = 10


def slot_count(insn: Insn) -> int:
    """How many 8-byte slots ``insn`` occupies (2 for a 64-bit immediate load)."""
    return 2 if isinstance(insn, LoadImm64) else 1


def jump_target(pc: int, insn: Insn) -> int | None:
    """The slot a jump, goto or subprogram call at slot ``pc`` transfers to, else None.

    >>> jump_target(3, Goto(off=-2))
    2
    """
    match insn:
        case Jump(off=off) | Goto(off=off) | MayGoto(off=off):
            return pc + 1 + off
        case Call(kind=CallKind.SUBPROG, imm=imm):
            return pc + 1 + imm
    return None
