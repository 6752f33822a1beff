"""Instructions as text: the kernel verifier log's form and LLVM's assembly form.

:func:`format_kernel` prints exactly what the kernel's ``print_bpf_insn`` (kernel/bpf/disasm.c)
prints after an instruction index in a verifier log: the opcode in parentheses, offsets as
``%+d`` after a space (``(r6 +1280)``), jump immediates as ``0x%x``, helpers as
``name#id``. :func:`format_llvm` prints what ``llvm-objdump -d`` prints and ``llvm-mc`` accepts
(and :func:`kfunclab.isa.parser.parse_program` reads back). Both dispatch on the instruction type
here, outside the data classes.

>>> from kfunclab.isa.insn import Load, Size
>>> format_kernel(Load(Size.DW, dst=1, src=6, off=1280), 4)
'(79) r1 = *(u64 *)(r6 +1280)'
>>> format_llvm(Load(Size.DW, dst=1, src=6, off=1280))
'r1 = *(u64 *)(r6 + 1280)'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from kfunclab.errors import ProgramError
from kfunclab.isa.encoding import opcode
from kfunclab.isa.helpers import helper_name
from kfunclab.isa.insn import (
    Alu,
    AluOp,
    Atomic,
    AtomicOp,
    Call,
    CallKind,
    Endian,
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
)
from kfunclab.isa.program import LocalStruct, MapDecl, MemberKind, Program, TypeRef

# disasm.c's bpf_alu_string / bpf_alu_sign_string / bpf_jmp_string / bpf_ldst_string.
ALU_STRING = {AluOp.ADD: "+=", AluOp.SUB: "-=", AluOp.MUL: "*=", AluOp.DIV: "/=",
              AluOp.OR: "|=", AluOp.AND: "&=", AluOp.LSH: "<<=", AluOp.RSH: ">>=",
              AluOp.MOD: "%=", AluOp.XOR: "^=", AluOp.MOV: "=", AluOp.ARSH: "s>>="}
ALU_SIGN_STRING = {AluOp.DIV: "s/=", AluOp.MOD: "s%="}
JMP_STRING = {JmpOp.JEQ: "==", JmpOp.JGT: ">", JmpOp.JLT: "<", JmpOp.JGE: ">=",
              JmpOp.JLE: "<=", JmpOp.JSET: "&", JmpOp.JNE: "!=", JmpOp.JSGT: "s>",
              JmpOp.JSLT: "s<", JmpOp.JSGE: "s>=", JmpOp.JSLE: "s<="}
LDST_STRING = {Size.W: "u32", Size.H: "u16", Size.B: "u8", Size.DW: "u64"}
LDSX_STRING = {Size.W: "s32", Size.H: "s16", Size.B: "s8"}
ATOMIC_ALU_STRING = {AtomicOp.ADD: "add", AtomicOp.AND: "and", AtomicOp.OR: "or",
                     AtomicOp.XOR: "xor"}
ATOMIC_LOCK_STRING = {AtomicOp.ADD: "+=", AtomicOp.AND: "&=", AtomicOp.OR: "|=",
                      AtomicOp.XOR: "^="}

NameResolver = Callable[[int], str | None]


def format_kernel(insn: Insn, pc: int = 0, resolve_name: NameResolver | None = None, *,
                  map_ptr: Callable[[LoadImm64], int] | None = None) -> str:
    """``insn`` as the kernel verifier log prints it (without the ``pc: `` prefix).

    ``resolve_name`` maps a kfunc's BTF id to its name when the call carries none (the kernel
    prints ``kernel-function`` when it cannot). A map load prints the map's address as the
    kernel does; kfunclab's maps are not loaded, so by default it prints ``0x0``, which is also
    what the kernel prints for a loader without CAP_PERFMON (pointer leaks hidden);
    ``map_ptr`` supplies an address instead.

    >>> from kfunclab.isa.insn import Call, CallKind, Jump, JmpOp
    >>> format_kernel(Jump(JmpOp.JEQ, dst=0, src=None, imm=0, off=3), 7)
    '(15) if r0 == 0x0 goto pc+3'
    >>> format_kernel(Call(CallKind.KFUNC, 65913, "bpf_task_acquire"))
    '(85) call bpf_task_acquire#65913'
    """
    del pc  # the kernel's text does not depend on it: jumps and calls print relative offsets
    return f"({opcode(insn):02x}) {_kernel_body(insn, resolve_name, map_ptr)}"


def format_kernel_line(pc: int, insn: Insn, resolve_name: NameResolver | None = None) -> str:
    """A verifier log instruction line: ``3: (bf) r1 = r0``.

    >>> from kfunclab.isa.insn import Alu, AluOp
    >>> format_kernel_line(3, Alu(AluOp.MOV, dst=1, src=0))
    '3: (bf) r1 = r0'
    """
    return f"{pc}: {format_kernel(insn, pc, resolve_name)}"


def _reg(wide: bool, n: int) -> str:
    return f"{'r' if wide else 'w'}{n}"


def _kernel_body(insn: Insn, resolve_name: NameResolver | None,
                 map_ptr: Callable[[LoadImm64], int] | None) -> str:
    match insn:
        case Alu(op=AluOp.NEG, dst=dst, wide=wide):
            return f"{_reg(wide, dst)} = -{_reg(wide, dst)}"
        case Alu(op=op, dst=dst, src=src, imm=imm, wide=wide, off=off):
            op_text = ALU_SIGN_STRING[op] if off == 1 and op in ALU_SIGN_STRING else ALU_STRING[op]
            if src is None:
                return f"{_reg(wide, dst)} {op_text} {imm}"
            cast = f"(s{off})" if op is AluOp.MOV and off in (8, 16, 32) else ""
            return f"{_reg(wide, dst)} {op_text} {cast}{_reg(wide, src)}"
        case Endian(kind=kind, dst=dst, bits=bits):
            return f"r{dst} = {kind.value}{bits} r{dst}"
        case Store(size=size, dst=dst, off=off, src=src):
            return f"*({LDST_STRING[size]} *)(r{dst} {off:+d}) = r{src}"
        case Atomic(size=size, dst=dst, off=off, src=src, op=op, fetch=fetch):
            width = "64" if size is Size.DW else ""
            mem = f"({LDST_STRING[size]} *)(r{dst} {off:+d})"
            if op is AtomicOp.CMPXCHG:
                return f"r0 = atomic{width}_cmpxchg({mem}, r0, r{src})"
            if op is AtomicOp.XCHG:
                return f"r{src} = atomic{width}_xchg({mem}, r{src})"
            if fetch:
                return f"r{src} = atomic{width}_fetch_{ATOMIC_ALU_STRING[op]}({mem}, r{src})"
            return f"lock *{mem} {ATOMIC_LOCK_STRING[op]} r{src}"
        case StoreImm(size=size, dst=dst, off=off, imm=imm):
            return f"*({LDST_STRING[size]} *)(r{dst} {off:+d}) = {imm}"
        case Load(size=size, dst=dst, src=src, off=off, signed=signed):
            cast = LDSX_STRING[size] if signed else LDST_STRING[size]
            return f"r{dst} = *({cast} *)(r{src} {off:+d})"
        case LoadPacket(size=size, mode=PacketMode.ABS, imm=imm):
            return f"r0 = *({LDST_STRING[size]} *)skb[{imm}]"
        case LoadPacket(size=size, src=src, imm=imm):
            return f"r0 = *({LDST_STRING[size]} *)skb[r{src} + {imm}]"
        case LoadImm64(dst=dst, imm=imm, kind=kind):
            if kind in (Imm64Kind.MAP_FD, Imm64Kind.MAP_VALUE):
                imm = map_ptr(insn) if map_ptr is not None else 0
            return f"r{dst} = 0x{imm & 0xFFFFFFFFFFFFFFFF:x}"
        case Call(kind=CallKind.SUBPROG, imm=imm):
            return f"call pc{imm:+d}"
        case Call(kind=CallKind.HELPER, imm=imm):
            return f"call {helper_name(imm) or 'unknown'}#{imm}"
        case Call(imm=imm, name=name):
            name = name or (resolve_name(imm) if resolve_name else None) or "kernel-function"
            return f"call {name}#{imm}"
        case Goto(off=off, long=long):
            return f"{'gotol' if long else 'goto'} pc{off:+d}"
        case MayGoto(off=off):
            return f"may_goto pc{off:+d}"
        case Exit():
            return "exit"
        case Jump(op=op, dst=dst, src=None, imm=imm, off=off, wide=wide):
            return f"if {_reg(wide, dst)} {JMP_STRING[op]} 0x{imm & 0xFFFFFFFF:x} goto pc{off:+d}"
        case Jump(op=op, dst=dst, src=src, off=off, wide=wide):
            return f"if {_reg(wide, dst)} {JMP_STRING[op]} {_reg(wide, src)} goto pc{off:+d}"
        case Imm64Tail():
            raise ProgramError("the second slot of a ld_imm64 has no text of its own")
    raise ProgramError(f"cannot print {insn!r}: not an instruction")


def format_llvm(insn: Insn, labels: Mapping[int, str] | None = None, pc: int | None = None
                ) -> str:
    """``insn`` in LLVM's pseudo-C assembly, as ``llvm-objdump -d`` prints it.

    With ``pc`` and ``labels`` (slot -> label name), jumps and BPF-to-BPF calls name their
    target; without, they print relative offsets (``goto +3``; subprogram calls ``call pc+3``,
    kfunclab's reading of the kernel form since LLVM has no relative call syntax). Kfunc calls
    with a BTF id print ``call name#id``, which llvm-mc reads as ``call name`` and a comment.

    >>> from kfunclab.isa.insn import Goto
    >>> format_llvm(Goto(off=2)), format_llvm(Goto(off=2), {10: "out"}, pc=7)
    ('goto +2', 'goto out')
    """
    target = jump_target(pc, insn) if pc is not None and labels else None
    label = labels.get(target) if labels and target is not None else None
    match insn:
        case Alu(op=AluOp.NEG, dst=dst, wide=wide):
            return f"{_reg(wide, dst)} = -{_reg(wide, dst)}"
        case Alu(op=op, dst=dst, src=src, imm=imm, wide=wide, off=off):
            op_text = ALU_SIGN_STRING[op] if off == 1 and op in ALU_SIGN_STRING else ALU_STRING[op]
            if src is None:
                return f"{_reg(wide, dst)} {op_text} {imm}"
            cast = f"(s{off})" if op is AluOp.MOV and off in (8, 16, 32) else ""
            return f"{_reg(wide, dst)} {op_text} {cast}{_reg(wide, src)}"
        case Endian(kind=kind, dst=dst, bits=bits):
            return f"r{dst} = {kind.value}{bits} r{dst}"
        case Jump(op=op, dst=dst, src=src, imm=imm, off=off, wide=wide):
            other = _reg(wide, src) if src is not None else str(imm)
            return f"if {_reg(wide, dst)} {JMP_STRING[op]} {other} goto {label or f'{off:+d}'}"
        case Goto(off=off, long=long):
            return f"{'gotol' if long else 'goto'} {label or f'{off:+d}'}"
        case MayGoto(off=off):
            return f"may_goto {label or f'{off:+d}'}"
        case Call(kind=CallKind.SUBPROG, imm=imm):
            return f"call {label or f'pc{imm:+d}'}"
        case Call(kind=CallKind.HELPER, imm=imm):
            name = helper_name(imm)
            return f"call {name}" if name else f"call {imm}"
        case Call(imm=imm, name=name):
            if name is None:
                return f"call kernel-function#{imm}"
            return f"call {name}#{imm}" if imm else f"call {name}"
        case Exit():
            return "exit"
        case Load(size=size, dst=dst, src=src, off=off, signed=signed):
            cast = LDSX_STRING[size] if signed else LDST_STRING[size]
            return f"r{dst} = *({cast} *){_mem(src, off)}"
        case Store(size=size, dst=dst, off=off, src=src):
            return f"*({LDST_STRING[size]} *){_mem(dst, off)} = r{src}"
        case StoreImm(size=size, dst=dst, off=off, imm=imm):
            return f"*({LDST_STRING[size]} *){_mem(dst, off)} = {imm}"
        case Atomic():
            return _llvm_atomic(insn)
        case LoadImm64(dst=dst, imm=imm, kind=kind, map_name=map_name):
            if kind is Imm64Kind.MAP_FD and map_name is not None:
                return f"r{dst} = {map_name} ll"
            if kind is Imm64Kind.FUNC:  # a callback's address: pc-relative, like call pc+N
                return f"r{dst} = {imm} ll  # src_reg=4 (FUNC): pc{imm:+d}"
            note = "" if kind is Imm64Kind.PLAIN else f"  # src_reg={kind.value} ({kind.name})"
            return f"r{dst} = {imm} ll{note}"
        case LoadPacket(size=size, mode=PacketMode.ABS, imm=imm):
            return f"r0 = *({LDST_STRING[size]} *)skb[{imm}]"
        case LoadPacket(size=size, src=src, imm=imm):
            disp = f" {'-' if imm < 0 else '+'} {abs(imm)}" if imm else ""
            return f"r0 = *({LDST_STRING[size]} *)skb[r{src}{disp}]"
        case Imm64Tail():
            raise ProgramError("the second slot of a ld_imm64 has no text of its own")
    raise ProgramError(f"cannot print {insn!r}: not an instruction")


def _mem(reg: int, off: int) -> str:
    return f"(r{reg} {'-' if off < 0 else '+'} {abs(off)})"


def _llvm_atomic(insn: Atomic) -> str:
    wide = insn.size is Size.DW
    src, mem = _reg(wide, insn.src), _mem(insn.dst, insn.off)
    if insn.op is AtomicOp.CMPXCHG:
        r0 = _reg(wide, 0)
        return (f"{r0} = cmpxchg_64({mem[1:-1]}, {r0}, {src})" if wide
                else f"{r0} = cmpxchg32_32({mem[1:-1]}, {r0}, {src})")
    if insn.op is AtomicOp.XCHG:
        return (f"{src} = xchg_64({mem[1:-1]}, {src})" if wide
                else f"{src} = xchg32_32({mem[1:-1]}, {src})")
    cast = f"({LDST_STRING[insn.size]} *)"
    if insn.fetch:
        return f"{src} = atomic_fetch_{ATOMIC_ALU_STRING[insn.op]}({cast}{mem}, {src})"
    return f"lock *{cast}{mem} {ATOMIC_LOCK_STRING[insn.op]} {src}"


# ----------------------------------------------------------------------------- whole programs


def format_struct(struct: LocalStruct) -> str:
    """``struct NAME { members }`` as a TYPE:/MAP: line writes it.

    >>> from kfunclab.isa.program import LocalStruct, Member, MemberKind
    >>> format_struct(LocalStruct("s", (Member("t", MemberKind.KPTR, 8, 0, "task_struct"),), 8, 1))
    'struct s { struct task_struct __kptr *t; }'
    """
    tag = {MemberKind.KPTR: " __kptr", MemberKind.KPTR_UNTRUSTED: " __kptr_untrusted",
           MemberKind.KPTR_REF: " __kptr_ref", MemberKind.PERCPU_KPTR: " __percpu_kptr",
           MemberKind.PTR: ""}
    members = []
    for m in struct.members:
        if m.kind is MemberKind.INT:
            members.append(f"{m.type_name} {m.name};")
        elif m.kind is MemberKind.SPIN_LOCK:
            members.append(f"struct bpf_spin_lock {m.name};")
        elif m.kind is MemberKind.TIMER:
            members.append(f"struct bpf_timer {m.name};")
        elif m.kind not in tag:  # graph fields (objects only)
            members.append(f"struct {m.kind.value} {m.name};")
        else:
            members.append(f"struct {m.type_name}{tag[m.kind]} *{m.name};")
    return f"struct {struct.name} {{ {' '.join(members)} }}" if members else \
        f"struct {struct.name} {{ }}"


def _type_text(ref: TypeRef, inline: set[int]) -> str:
    if ref.struct is None:
        return f'"{ref.name}"' if " " in ref.name else ref.name
    if ref.struct.btf_id in inline:
        inline.discard(ref.struct.btf_id)
        return f'"{format_struct(ref.struct)}"'
    return f'"struct {ref.struct.name}"'


def _map_line(decl: MapDecl, inline: set[int]) -> str:
    text = (f"# MAP: {decl.name} {decl.map_type} key={_type_text(decl.key, inline)} "
            f"value={_type_text(decl.value, inline)}")
    if decl.max_entries != 1:
        text += f" max_entries={decl.max_entries}"
    if decl.flags:
        text += f" flags={decl.flags:#x}"
    return text


def format_program(program: Program) -> str:
    """A program file (header directives, labels, LLVM syntax) that parses back to ``program``.

    >>> from kfunclab.isa.parser import parse_program
    >>> format_program(parse_program('# SEC("xdp")\\nl:\\n goto l\\n')).splitlines()
    ['# SEC("xdp")', 'l:', '\\tgoto l']
    """
    lines = [f'# SEC("{program.section}")']
    if program.license != "GPL":
        lines.append(f'# LICENSE("{program.license}")')
    if program.dropped_caps:
        lines.append("# CAPS: " + ", ".join(f"-{c}" for c in sorted(program.dropped_caps)))
    lines += [f"# TYPE: {format_struct(s)}" for s in program.types]
    type_ids = {s.btf_id for s in program.types}
    inline = {s.btf_id for s in program.all_local_structs()} - type_ids
    lines += [_map_line(m, inline) for m in program.maps]
    by_slot: dict[int, list[str]] = {}
    for name, slot in program.labels.items():
        by_slot.setdefault(slot, []).append(name)
    first_label = {slot: names[0] for slot, names in by_slot.items()}
    for slot, insn in enumerate(program.insns):
        lines += [f"{name}:" for name in by_slot.get(slot, ())]
        if not isinstance(insn, Imm64Tail):
            lines.append("\t" + format_llvm(insn, first_label, slot))
    lines += [f"{name}:" for name in by_slot.get(len(program.insns), ())]
    return "\n".join(lines) + "\n"
