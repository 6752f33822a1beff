"""The BPF instruction layer: instruction values, program files, bytes and text.

- :mod:`~kfunclab.isa.insn`: one frozen dataclass per instruction kind (:data:`Insn`);
- :mod:`~kfunclab.isa.parser`: program files (LLVM pseudo-C assembly plus the kernel log's
  forms) to :class:`Program`;
- :mod:`~kfunclab.isa.encoding`: the kernel's 8-byte ``struct bpf_insn`` both ways;
- :mod:`~kfunclab.isa.printer`: the verifier log's text (disasm.c) and LLVM's text;
- :mod:`~kfunclab.isa.helpers`: helper ids (``enum bpf_func_id``) by name.

>>> prog = parse_program('# SEC("xdp")\\n  r0 = 2\\n  exit\\n')
>>> [format_kernel_line(pc, insn) for pc, insn in prog.instructions()]
['0: (b7) r0 = 2', '1: (95) exit']
>>> encode_program(prog).hex()
'b7000000020000009500000000000000'
"""

from kfunclab.isa.encoding import DecodeError, decode, encode, encode_program
from kfunclab.isa.helpers import HELPER_IDS, helper_id, helper_name
from kfunclab.isa.insn import (
    FRAME_POINTER,
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
    jump_target,
    slot_count,
)
from kfunclab.isa.parser import (
    BPF_COMPLEXITY_LIMIT_INSNS,
    BPF_MAXINSNS,
    InsnCountError,
    check_insn_count,
    parse_file,
    parse_insn,
    parse_program,
)
from kfunclab.isa.printer import format_kernel, format_kernel_line, format_llvm, format_program
from kfunclab.isa.program import (
    LocalStruct,
    MapDecl,
    Member,
    MemberKind,
    Program,
    SourceMap,
    TypeRef,
)

__all__ = [
    "BPF_COMPLEXITY_LIMIT_INSNS",
    "BPF_MAXINSNS",
    "FRAME_POINTER",
    "HELPER_IDS",
    "IMM64_TAIL",
    "MAX_REGISTER",
    "Alu",
    "AluOp",
    "Atomic",
    "AtomicOp",
    "Call",
    "CallKind",
    "DecodeError",
    "Endian",
    "EndianKind",
    "Exit",
    "Goto",
    "Imm64Kind",
    "Imm64Tail",
    "Insn",
    "InsnCountError",
    "JmpOp",
    "Jump",
    "Load",
    "LoadImm64",
    "LoadPacket",
    "LocalStruct",
    "MapDecl",
    "MayGoto",
    "Member",
    "MemberKind",
    "PacketMode",
    "Program",
    "Size",
    "SourceMap",
    "Store",
    "StoreImm",
    "TypeRef",
    "check_insn_count",
    "decode",
    "encode",
    "encode_program",
    "format_kernel",
    "format_kernel_line",
    "format_llvm",
    "format_program",
    "helper_id",
    "helper_name",
    "jump_target",
    "parse_file",
    "parse_insn",
    "parse_program",
    "slot_count",
]
