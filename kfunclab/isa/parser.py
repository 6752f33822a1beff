"""Program files (``*.s``) to :class:`~kfunclab.isa.program.Program` values.

The syntax is LLVM's pseudo-C BPF assembly (what ``llvm-objdump -d`` prints and
``llvm-mc -triple bpfel`` assembles), plus the kernel verifier log's forms so a log line parses
back: ``3: (bf) r1 = r0``, ``if r1 == 0x0 goto pc+3``, ``call pc+2``,
``call bpf_task_acquire#65913``. Header directives are the comment lines before the first
instruction (:mod:`kfunclab.isa.directives`).

How it works, and why it is fast: a line is cut into tokens by one regular expression, each token
is reduced to a *shape* symbol (``R`` a register, ``N`` a number, ``S`` a size, ``A`` an
assignment operator, ...), and the joined shape (``"R = * ( S * ) ( R + N )"``) is looked up in a
table built once from a few dozen instruction templates. A line whose shape is in no template is
diagnosed by walking the templates' prefix tree, which tells the column where the line stops
making sense and what could have come there.

>>> prog = parse_program('# SEC("xdp")\\n  r0 = 2\\n  exit\\n', "xdp.s")
>>> prog.section, prog.insns[0]
('xdp', Alu(op=<AluOp.MOV: 176>, dst=0, src=None, imm=2, wide=True, off=0))
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from kfunclab.errors import ParseError, ProgramError
from kfunclab.isa.directives import Header, HeaderParser, directive_keyword
from kfunclab.isa.encoding import opcode
from kfunclab.isa.helpers import helper_id, helper_name
from kfunclab.isa.insn import (
    IMM64_TAIL,
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
    Insn,
    JmpOp,
    Jump,
    Load,
    LoadImm64,
    LoadPacket,
    PacketMode,
    Size,
    Store,
    StoreImm,
)
from kfunclab.isa.program import Program, SourceMap, TypeIdRef

#: bpf_prog_load() (kernel/bpf/syscall.c) refuses ``insn_cnt == 0`` and ``insn_cnt >`` this with
#: E2BIG before the verifier runs (so with an empty log) for a loader with CAP_BPF/CAP_SYS_ADMIN.
BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000
#: The same limit for a loader without them (include/uapi/linux/bpf_common.h BPF_MAXINSNS).
BPF_MAXINSNS = 4096
E2BIG_ERROR = "errno 7 (E2BIG), empty verifier log"


class InsnCountError(ProgramError):
    """The kernel refuses the program's size before verifying it: E2BIG, empty verifier log."""

    errno = 7
    error = E2BIG_ERROR

    def __init__(self, file: str, insn_cnt: int, limit: int, line: int | None = None) -> None:
        self.insn_cnt, self.limit = insn_cnt, limit
        where = file if line is None else f"{file}:{line}"
        why = ("no instructions" if insn_cnt == 0 else
               f"{insn_cnt} instructions, more than "
               f"{'BPF_COMPLEXITY_LIMIT_INSNS' if limit > BPF_MAXINSNS else 'BPF_MAXINSNS'}"
               f" ({limit})")
        super().__init__(f"{where}: {E2BIG_ERROR} ({why}; bpf_prog_load in kernel/bpf/syscall.c)")


# ----------------------------------------------------------------------------- tokens and shapes

_TOKEN_RE = re.compile(r"""\s*(
      [A-Za-z_]\w*(?:-[A-Za-z_]\w*)*\#[-+]?\d+       # kernel log call target: name#id
    | s(?:>>=|/=|%=|>=|<=|>|<)                         # signed operators (before identifiers)
    | [A-Za-z_.$][\w.$]*                               # identifiers and keywords
    | 0[xX][0-9a-fA-F]+ | 0[bB][01]+ | \d+             # numbers
    | <<= | >>= | == | != | >= | <= | \+= | -= | \*= | /= | %= | \|= | &= | \^=
    | \S)""", re.X)

# libbpf's bpf_core_type_id_kernel(TYPE) macro (bpf_core_read.h), as an immediate: the type's id
# in the kernel's BTF, resolved when the BTF in use is known (kfunclab.isa.program)
_TYPE_ID_CALL = "bpf_core_type_id_kernel"
_TYPE_ID_RE = re.compile(r"bpf_core_type_id_kernel\s*\(\s*(?:(struct|union|enum|typedef)\s+)?"
                         r"([A-Za-z_]\w*)\s*\)")

_SYMBOLS: dict[str, str] = {
    **{f"r{i}": "R" for i in range(11)}, **{f"w{i}": "W" for i in range(11)},
    **dict.fromkeys(("+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", "<<=", ">>=", "s>>=", "s/=",
                     "s%="), "A"),
    **dict.fromkeys(("==", "!=", ">", ">=", "<", "<=", "s>", "s>=", "s<", "s<=", "&"), "C"),
    **dict.fromkeys(("u8", "u16", "u32", "u64", "s8", "s16", "s32"), "S"),
    **dict.fromkeys((f"{k}{b}" for k in ("be", "le", "bswap") for b in (16, 32, 64)), "E"),
    **dict.fromkeys((f"atomic{w}_fetch_{op}" for w in ("", "64") for op in ("add", "and", "or",
                                                                          "xor")), "F"),
    **{k: k for k in ("goto", "gotol", "if", "call", "exit", "ll", "lock", "skb", "pc",
                      "xchg_64", "xchg32_32", "cmpxchg_64", "cmpxchg32_32", "atomic_xchg",
                      "atomic64_xchg", "atomic_cmpxchg", "atomic64_cmpxchg")},
    **{c: c for c in "=+-*()[],:"},
}
_KEYWORDS = frozenset(k for k, v in _SYMBOLS.items() if v == k and k[0].isalpha()) | {
    k for k, v in _SYMBOLS.items() if v in "RWSEF"}

_ALU_OPS = {"+=": AluOp.ADD, "-=": AluOp.SUB, "*=": AluOp.MUL, "/=": AluOp.DIV, "%=": AluOp.MOD,
            "|=": AluOp.OR, "&=": AluOp.AND, "^=": AluOp.XOR, "<<=": AluOp.LSH, ">>=": AluOp.RSH,
            "s>>=": AluOp.ARSH, "s/=": AluOp.DIV, "s%=": AluOp.MOD}
_JMP_OPS = {"==": JmpOp.JEQ, "!=": JmpOp.JNE, ">": JmpOp.JGT, ">=": JmpOp.JGE, "<": JmpOp.JLT,
            "<=": JmpOp.JLE, "s>": JmpOp.JSGT, "s>=": JmpOp.JSGE, "s<": JmpOp.JSLT,
            "s<=": JmpOp.JSLE, "&": JmpOp.JSET}
_ATOMIC_OPS = {"+=": AtomicOp.ADD, "|=": AtomicOp.OR, "&=": AtomicOp.AND, "^=": AtomicOp.XOR}
_SIZES = {"u8": Size.B, "u16": Size.H, "u32": Size.W, "u64": Size.DW,
          "s8": Size.B, "s16": Size.H, "s32": Size.W}
_ENDIAN = {"be": EndianKind.BE, "le": EndianKind.LE, "bswap": EndianKind.BSWAP}

_DESCRIBE = {"R": "a register r0-r10", "W": "a register w0-w10", "N": "a number",
             "I": "a name", "K": "NAME#ID", "A": "an assignment operator (+=, -=, ...)",
             "C": "a comparison (==, !=, >, s<, ...)",
             "S": "a size (u8, u16, u32, u64, s8, s16, s32)", "E": "be16/le32/bswap64",
             "F": "atomic_fetch_add/and/or/xor", "$": "end of line"}


def _symbol(token: str) -> str:
    sym = _SYMBOLS.get(token)
    if sym is not None:
        return sym
    first = token[0]
    if first.isdigit():
        return "N"
    if "#" in token:
        return "K"
    if first.isalpha() or first in "_.$":
        return "I"
    return token


class _Bad(Exception):
    """An error at token ``index`` of the statement (the driver turns it into a column).

    ``token`` instead names the offending token's text where its index varies by template.
    """

    def __init__(self, index: int, message: str, token: str | None = None) -> None:
        super().__init__(message)
        self.index, self.message, self.token = index, message, token


def _number(tok: str, index: int) -> int:
    try:
        if len(tok) > 1 and tok[0] == "0" and tok[1].isdigit():
            return int(tok, 8)  # llvm-mc reads a leading 0 as octal
        return int(tok, 0)
    except ValueError:
        raise _Bad(index, f"expected a number, found {tok!r}") from None


def _signed(value: int, bits: int, index: int, what: str) -> int:
    """``value`` as a signed ``bits``-bit field; hex up to 2**bits-1 wraps, as llvm-mc does."""
    top = 1 << bits
    if not -(top >> 1) <= value < top:
        raise _Bad(index, f"{what} {value} out of {bits}-bit range")
    return value - top if value >= top >> 1 else value


# A value extractor: (kind, token index, sign); kinds: reg, text, num, imm32, imm64, off16,
# disp32, rel16, rel32, label, zero.
_Extractor = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class _Template:
    build: Callable[[list], Insn]
    extract: tuple[_Extractor, ...]
    label: str | None = None  # "jump" or "call": the insn's target is a label fixed up later


def _extract(tokens: list[str], spec: _Extractor) -> object:
    kind, i, sign = spec
    if kind == "reg":
        return int(tokens[i][1:])
    if kind == "text":
        return tokens[i]
    if kind == "zero":
        return 0
    value = sign * _number(tokens[i], i)
    if kind == "imm32":
        return _signed(value, 32, i, "immediate")
    if kind == "imm64":
        return _signed(value, 64, i, "immediate")
    if kind in ("off16", "rel16"):
        if not -(1 << 15) <= value < 1 << 15:
            raise _Bad(i, f"offset {value} out of 16-bit range")
        return value
    if not -(1 << 31) <= value < 1 << 31:  # disp32, rel32
        raise _Bad(i, f"offset {value} out of 32-bit range")
    return value


# Placeholders in templates and the token sequences they stand for: (symbols, kind, sign, index
# of the number token within the variant).
_VARIANTS: dict[str, list[tuple[str, str, int, int]]] = {
    "imm": [("N", "imm32", 1, 0), ("- N", "imm32", -1, 1), ("+ N", "imm32", 1, 1)],
    "imm64": [("N", "imm64", 1, 0), ("- N", "imm64", -1, 1), ("+ N", "imm64", 1, 1)],
    "off": [("+ N", "off16", 1, 1), ("- N", "off16", -1, 1), ("+ - N", "off16", -1, 2),
            ("", "zero", 0, 0)],
    "disp": [("+ N", "disp32", 1, 1), ("- N", "disp32", -1, 1), ("+ - N", "disp32", -1, 2)],
    "tgt": [("+ N", "rel16", 1, 1), ("- N", "rel16", -1, 1), ("N", "rel16", 1, 0),
            ("pc + N", "rel16", 1, 2), ("pc - N", "rel16", -1, 2), ("I", "label", 0, 0)],
    "ltgt": [("+ N", "rel32", 1, 1), ("- N", "rel32", -1, 1), ("N", "rel32", 1, 0),
             ("pc + N", "rel32", 1, 2), ("pc - N", "rel32", -1, 2), ("I", "label", 0, 0)],
}
_VALUE_SYMBOLS = {"R": "reg", "W": "reg", "S": "text", "A": "text", "C": "text", "E": "text",
                  "F": "text", "I": "text", "K": "text", "N": "num"}


def _expand(pattern: str, build: Callable[[list], Insn], label: str | None
            ) -> dict[str, _Template]:
    """Every concrete shape of ``pattern`` with the extractors that read its values."""
    parts = pattern.split()
    choices = [_VARIANTS[p[1:-1]] if p.startswith("{") else [(p, "", 0, -1)] for p in parts]
    out: dict[str, _Template] = {}
    for combo in itertools.product(*choices):
        symbols: list[str] = []
        extract: list[_Extractor] = []
        has_label = False
        for part, (syms, kind, sign, at) in zip(parts, combo, strict=True):
            here = len(symbols)
            seq = syms.split()
            if part.startswith("{"):
                extract.append((kind if kind != "label" else "text",
                                here + at if kind != "zero" else 0, sign))
                has_label |= kind == "label"
            elif syms in _VALUE_SYMBOLS:
                kind = _VALUE_SYMBOLS[syms]
                extract.append(("imm32" if kind == "num" else kind, here, 1))
            symbols.extend(seq)
        keep = has_label or label == "call"  # "call I" names a label, a helper or a kfunc
        out[" ".join(symbols)] = _Template(build, tuple(extract), label if keep else None)
    return out


# ----------------------------------------------------------------------------- instruction builders
# Each takes the values its template extracts, in order, and returns the instruction. Token
# indexes in _Bad are only approximate where noted; the message names the offending text.


def _alu_reg(v: list, wide: bool) -> Insn:
    dst, op, src = v
    return Alu(_ALU_OPS[op], dst, src, 0, wide, 1 if op in ("s/=", "s%=") else 0)


def _alu_imm(v: list, wide: bool) -> Insn:
    dst, op, imm = v
    return Alu(_ALU_OPS[op], dst, None, imm, wide, 1 if op in ("s/=", "s%=") else 0)


def _neg(v: list, wide: bool) -> Insn:
    dst, src = v
    if dst != src:
        raise _Bad(3, f"expected {'rw'[not wide]}{dst} (neg works in place), found "
                      f"{'rw'[not wide]}{src}")
    return Alu(AluOp.NEG, dst, None, 0, wide)


def _movsx(v: list, wide: bool) -> Insn:
    dst, size, src = v
    allowed = ("s8", "s16", "s32") if wide else ("s8", "s16")
    if size not in allowed:
        raise _Bad(3, f"expected {_either([f'({s})' for s in allowed])}, found ({size})")
    return Alu(AluOp.MOV, dst, src, 0, wide, int(size[1:]))


def _endian(v: list) -> Insn:
    dst, word, src = v
    if dst != src:
        raise _Bad(3, f"expected r{dst} (byte swaps work in place), found r{src}")
    kind = word.rstrip("0123456789")
    return Endian(_ENDIAN[kind], dst, int(word[len(kind):]))


def _jump(v: list, wide: bool, reg: bool) -> Insn:
    dst, op, other, off = v
    if reg:
        return Jump(_JMP_OPS[op], dst, other, 0, off if isinstance(off, int) else 0, wide)
    return Jump(_JMP_OPS[op], dst, None, other, off if isinstance(off, int) else 0, wide)


def _goto(v: list, long: bool) -> Insn:
    return Goto(v[0] if isinstance(v[0], int) else 0, long)


def _call_number(v: list) -> Insn:
    return Call(CallKind.HELPER, v[0], helper_name(v[0]))


def _call_kernel(v: list) -> Insn:
    name, _, number = v[0].partition("#")
    func_id = _signed(int(number), 32, 1, "call id")
    if name == "unknown":
        return Call(CallKind.HELPER, func_id, helper_name(func_id))
    if name == "kernel-function":
        return Call(CallKind.KFUNC, func_id)
    table_id = helper_id(name)
    if table_id is None:
        return Call(CallKind.KFUNC, func_id, name)
    if table_id != func_id:
        raise _Bad(1, f"expected {name}#{table_id} (helper {name} is id {table_id}), "
                      f"found {v[0]!r}")
    return Call(CallKind.HELPER, func_id, name)


def _size(text: str, unsigned_only: bool = False, sizes: tuple[Size, ...] = tuple(Size)
          ) -> Size:
    size = _SIZES[text]
    if (unsigned_only and text[0] == "s") or size not in sizes:
        names = [n for n, s in _SIZES.items() if s in sizes and not (unsigned_only and n[0] == "s")]
        raise _Bad(0, f"expected {_either(names)}, found {text!r}", token=text)
    return size


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _load(v: list) -> Insn:
    dst, size, src, off = v
    return Load(_size(size), dst, src, off, signed=size[0] == "s")


def _narrow(size: str) -> None:
    """A w register moves at most 32 bits: ``*(u64 *)(r10 - 8) = w1`` is refused, as llvm-mc."""
    if size in ("u64", "s64"):
        raise _Bad(0, f"expected u8, u16 or u32 with a w register, found {size!r}", token=size)


def _w(build: Callable[[list], Insn], at: int) -> Callable[[list], Insn]:
    def checked(v: list) -> Insn:
        _narrow(v[at])
        return build(v)
    return checked


def _store(v: list, imm: bool) -> Insn:
    size, dst, off, value = v
    if imm:
        return StoreImm(_size(size, True), dst, off, value)
    return Store(_size(size, True), dst, off, value)


_ATOMIC_SIZES = (Size.W, Size.DW)


def _lock(v: list) -> Insn:
    size, dst, off, op, src = v
    if op not in _ATOMIC_OPS:
        raise _Bad(0, f"expected +=, |=, &= or ^= after lock *(...), found {op!r}", token=op)
    return Atomic(_size(size, True, _ATOMIC_SIZES), dst, off, src, _ATOMIC_OPS[op])


def _fetch(v: list) -> Insn:
    ret, word, size, dst, off, src = v
    sz = _size(size, True, _ATOMIC_SIZES)
    if "64" in word and sz is not Size.DW:
        raise _Bad(0, f"expected u64 with {word}, found {size!r}", token=size)
    if ret != src:
        raise _Bad(0, f"expected the result register to be the source register r{src}")
    op = {"add": AtomicOp.ADD, "and": AtomicOp.AND, "or": AtomicOp.OR, "xor": AtomicOp.XOR}[
        word.rsplit("_", 1)[1]]
    return Atomic(sz, dst, off, src, op, fetch=True)


def _xchg(v: list, size: Size | None, word: str = "") -> Insn:
    if size is None:  # kernel form: r1 = atomic64_xchg((u64 *)(r10 -8), r1)
        ret, sz, dst, off, src = v
        size = _size(sz, True, _ATOMIC_SIZES)
        if (word == "atomic64_xchg") != (size is Size.DW):
            raise _Bad(0, f"expected {'u64' if word == 'atomic64_xchg' else 'u32'} with {word}, "
                          f"found {sz!r}", token=sz)
    else:
        ret, dst, off, src = v
    if ret != src:
        raise _Bad(0, f"expected the result register to be the source register r{src}")
    return Atomic(size, dst, off, src, AtomicOp.XCHG, fetch=True)


def _cmpxchg(v: list, size: Size | None, word: str = "") -> Insn:
    if size is None:
        ret, sz, dst, off, cmp, src = v
        size = _size(sz, True, _ATOMIC_SIZES)
        if (word == "atomic64_cmpxchg") != (size is Size.DW):
            raise _Bad(0, f"expected {'u64' if '64' in word else 'u32'} with {word}, "
                          f"found {sz!r}", token=sz)
    else:
        ret, dst, off, cmp, src = v
    if ret != 0 or cmp != 0:
        raise _Bad(0, "expected r0 as result and comparand of cmpxchg (it compares with r0)")
    return Atomic(size, dst, off, src, AtomicOp.CMPXCHG, fetch=True)


def _packet(v: list, mode: PacketMode) -> Insn:
    dst, size, *rest = v
    if dst != 0:
        raise _Bad(0, f"expected r0 (packet loads always load into r0), found r{dst}")
    sz = _size(size, True, (Size.B, Size.H, Size.W))
    if mode is PacketMode.ABS:
        return LoadPacket(sz, mode, None, rest[0])
    return LoadPacket(sz, mode, rest[0], rest[1] if len(rest) > 1 else 0)


def _ld_imm64(v: list) -> Insn:
    return LoadImm64(v[0], v[1])


def _map_load(v: list) -> Insn:
    return LoadImm64(v[0], 0, Imm64Kind.MAP_FD, v[1])


_TEMPLATES: list[tuple[str, Callable[[list], Insn], str | None]] = [
    ("R A R", lambda v: _alu_reg(v, True), None),
    ("W A W", lambda v: _alu_reg(v, False), None),
    ("R A {imm}", lambda v: _alu_imm(v, True), None),
    ("W A {imm}", lambda v: _alu_imm(v, False), None),
    ("R = R", lambda v: Alu(AluOp.MOV, v[0], v[1]), None),
    ("W = W", lambda v: Alu(AluOp.MOV, v[0], v[1], 0, False), None),
    ("R = {imm}", lambda v: Alu(AluOp.MOV, v[0], None, v[1]), None),
    ("W = {imm}", lambda v: Alu(AluOp.MOV, v[0], None, v[1], False), None),
    ("R = - R", lambda v: _neg(v, True), None),
    ("W = - W", lambda v: _neg(v, False), None),
    ("R = ( S ) R", lambda v: _movsx(v, True), None),
    ("W = ( S ) W", lambda v: _movsx(v, False), None),
    ("R = E R", _endian, None),
    ("R = {imm64} ll", _ld_imm64, None),
    ("R = I ll", _map_load, None),
    ("if R C R goto {tgt}", lambda v: _jump(v, True, True), "jump"),
    ("if W C W goto {tgt}", lambda v: _jump(v, False, True), "jump"),
    ("if R C {imm} goto {tgt}", lambda v: _jump(v, True, False), "jump"),
    ("if W C {imm} goto {tgt}", lambda v: _jump(v, False, False), "jump"),
    ("goto {tgt}", lambda v: _goto(v, False), "jump"),
    ("gotol {ltgt}", lambda v: _goto(v, True), "jump"),
    ("call I", lambda v: Call(CallKind.KFUNC, 0, v[0]), "call"),
    ("call {imm}", _call_number, None),
    ("call pc {disp}", lambda v: Call(CallKind.SUBPROG, v[0]), None),
    ("call K", _call_kernel, None),
    ("exit", lambda v: Exit(), None),
    ("R = * ( S * ) ( R {off} )", _load, None),
    ("W = * ( S * ) ( R {off} )", _w(_load, 1), None),
    ("* ( S * ) ( R {off} ) = R", lambda v: _store(v, False), None),
    ("* ( S * ) ( R {off} ) = W", _w(lambda v: _store(v, False), 0), None),
    ("* ( S * ) ( R {off} ) = {imm}", lambda v: _store(v, True), None),
    ("lock * ( S * ) ( R {off} ) A R", _lock, None),
    ("lock * ( S * ) ( R {off} ) A W", _w(_lock, 0), None),
    ("R = F ( ( S * ) ( R {off} ) , R )", _fetch, None),
    ("W = F ( ( S * ) ( R {off} ) , W )", _fetch, None),
    ("R = xchg_64 ( R {off} , R )", lambda v: _xchg(v, Size.DW), None),
    ("W = xchg32_32 ( R {off} , W )", lambda v: _xchg(v, Size.W), None),
    ("R = atomic64_xchg ( ( S * ) ( R {off} ) , R )",
     lambda v: _xchg(v, None, "atomic64_xchg"), None),
    ("R = atomic_xchg ( ( S * ) ( R {off} ) , R )", lambda v: _xchg(v, None, "atomic_xchg"), None),
    ("R = cmpxchg_64 ( R {off} , R , R )", lambda v: _cmpxchg(v, Size.DW), None),
    ("W = cmpxchg32_32 ( R {off} , W , W )", lambda v: _cmpxchg(v, Size.W), None),
    ("R = atomic64_cmpxchg ( ( S * ) ( R {off} ) , R , R )",
     lambda v: _cmpxchg(v, None, "atomic64_cmpxchg"), None),
    ("R = atomic_cmpxchg ( ( S * ) ( R {off} ) , R , R )",
     lambda v: _cmpxchg(v, None, "atomic_cmpxchg"), None),
    ("R = * ( S * ) skb [ {imm} ]", lambda v: _packet(v, PacketMode.ABS), None),
    ("R = * ( S * ) skb [ R ]", lambda v: _packet(v, PacketMode.IND), None),
    ("R = * ( S * ) skb [ R {disp} ]", lambda v: _packet(v, PacketMode.IND), None),
]


def _build_shapes() -> dict[str, _Template]:
    shapes: dict[str, _Template] = {}
    for pattern, build, label in _TEMPLATES:
        for shape, template in _expand(pattern, build, label).items():
            shapes.setdefault(shape, template)
    return shapes


_SHAPES = _build_shapes()
_TRIE: dict | None = None


def _trie() -> dict:
    global _TRIE
    if _TRIE is None:
        root: dict = {}
        for shape in _SHAPES:
            node = root
            for sym in shape.split():
                node = node.setdefault(sym, {})
            node["$"] = {}
        _TRIE = root
    return _TRIE


def _diagnose(tokens: list[str], symbols: list[str]) -> _Bad:
    """Why a statement matches no template: the first token no template allows there."""
    node, depth = _trie(), 0
    while depth < len(symbols) and symbols[depth] in node:
        node = node[symbols[depth]]
        depth += 1
    found = repr(tokens[depth]) if depth < len(tokens) else "end of line"
    tok = tokens[depth] if depth < len(tokens) else ""
    if re.fullmatch(r"[rw]\d+", tok) and tok not in _SYMBOLS:
        return _Bad(depth, f"expected a register {tok[0]}0-{tok[0]}10, found {found}")
    if depth == 0:
        if tok.startswith(".") and len(tokens) > 0:
            return _Bad(0, f"expected an instruction, found assembler directive {found}")
        return _Bad(0, f"expected an instruction, found {found}")
    sym = symbols[depth] if depth < len(symbols) else "$"
    if sym in ("R", "W") and ({"R", "W"} - {sym}) & node.keys():
        other = "w" if sym == "R" else "r"
        return _Bad(depth, f"expected a register {other}0-{other}10, found {found} (r and w "
                           "registers do not mix in one instruction)")
    if {"+", "-", "N", "I", "pc"} <= node.keys():
        return _Bad(depth, f"expected a jump target (+N, -N, pc+N or a label), found {found}")
    expected = sorted(node, key=lambda s: (s == "$", s))
    words = [_DESCRIBE.get(s, repr(s)) for s in expected]
    if len(words) > 5:
        words = [*words[:4], "..."]
    return _Bad(depth, f"expected {_either(words)}, found {found}")


# ----------------------------------------------------------------------------- line prefixes

# "12: (bf) ...", the live-regs listing's "  2   3: 012....... (1d) ...", or just "(bf) ..."
_KERNEL_PREFIX_RE = re.compile(r"\s*(?:(?:\d+\s+)?\d+:\s*(?:[.\d]{10,11}\s+)?)?"
                               r"\(([0-9a-fA-F]{2})\)\s?")
_OBJDUMP_PREFIX_RE = re.compile(r"\s*\d+:\s+(?:[0-9a-fA-F]{2} ){7}[0-9a-fA-F]{2}"
                                r"(?: (?:[0-9a-fA-F]{2} ){7}[0-9a-fA-F]{2})?\s+")
_OBJDUMP_LABEL_RE = re.compile(r"\s*[0-9a-fA-F]+ <([A-Za-z_.$][\w.$]*)>:\s*$")
_OBJDUMP_SUFFIX_RE = re.compile(r"\s+<[\w.$+-]*>\s*$")
_CALL_ID_RE = re.compile(r"\w#[-+]?\d")


@dataclass(slots=True)
class _Pending:
    """A jump or call to a label, fixed up once every label is known."""

    slot: int
    label: str
    kind: str  # "jump" or "call"
    line: int
    base: int  # where the statement starts in its line, the statement, the label's token index
    stmt: str
    index: int

    @property
    def col(self) -> int:
        return self.base + _columns(self.stmt)[self.index] + 1


def _columns(stmt: str) -> list[int]:
    return [m.start(1) for m in _TOKEN_RE.finditer(stmt.rstrip())]


def _tokens(stmt: str) -> list[str]:
    """The statement's tokens. Trailing blanks are cut first: there ``\\s*`` would match and
    fail again at every position, quadratic in their length (40,000 blanks took 37 s)."""
    return _TOKEN_RE.findall(stmt.rstrip())


#: Our own limits on program files (the kernel reads bytes, not text): a longer line or file
#: is refused with a ParseError / ProgramError naming where, before any tokenizing.
MAX_LINE_CHARS = 65_536
MAX_FILE_BYTES = 256 * 1024 * 1024


class _ProgramParser:
    def __init__(self, text: str, file: str, maps: Collection[str] | None) -> None:
        self.text, self.file = text, file
        self.header = HeaderParser(file)
        self.in_header = True
        self.insns: list[Insn] = []
        self.lines: list[int] = []
        self.labels: dict[str, int] = {}
        self.label_lines: dict[str, int] = {}
        self.pending: list[_Pending] = []
        self.type_ids: list[TypeIdRef] = []
        self.maps = maps  # None: take the declared maps from the header
        self.first_insn_line = 0
        self.header_value = Header(None)

    def error(self, line: int, col: int, message: str) -> ParseError:
        return ParseError(self.file, line, col, message)

    def run(self) -> tuple[Header, tuple[Insn, ...]]:
        in_block, opened = False, (0, 0)
        # CRLF and CR-only (old Mac) line endings are line ends too
        text = self.text.replace("\r\n", "\n").replace("\r", "\n")
        for lineno, raw in enumerate(text.split("\n"), start=1):
            line = raw
            if len(line) > MAX_LINE_CHARS:
                raise self.error(lineno, MAX_LINE_CHARS + 1, f"line is {len(line)} characters "
                                 f"long; expected at most {MAX_LINE_CHARS}")
            if in_block or "/*" in line:
                was_open = in_block
                line, in_block = self._block_comments(line, in_block)
                if in_block and not was_open:
                    opened = (lineno, raw.rfind("/*") + 1)
            stripped = line.lstrip()
            if not stripped:
                continue
            if stripped[0] == "#" or stripped.startswith("//"):
                self._comment_line(lineno, line)
                continue
            self._code_line(lineno, line)
        if in_block:
            raise self.error(*opened, "expected */ to close this /* comment")
        if self.in_header:
            self._end_header(1)
        self._fix_up()
        return self.header_value, tuple(self.insns)

    @staticmethod
    def _block_comments(line: str, in_block: bool) -> tuple[str, bool]:
        """Blank out /* ... */ (keeping columns); says whether a comment is still open."""
        out, i = [], 0
        while i < len(line):
            if in_block:
                end = line.find("*/", i)
                if end < 0:
                    out.append(" " * (len(line) - i))
                    return "".join(out), True
                out.append(" " * (end + 2 - i))
                i, in_block = end + 2, False
            else:
                start = line.find("/*", i)
                quote = line.find('"', i)
                if 0 <= quote < start:  # SEC("kprobe.multi/*"): no comment inside a string
                    close = line.find('"', quote + 1)
                    end = len(line) if close < 0 else close + 1
                    out.append(line[i:end])
                    i = end
                    continue
                if start < 0:
                    out.append(line[i:])
                    break
                out.append(line[i:start])
                i, in_block = start, True
        return "".join(out), in_block

    def _comment_line(self, lineno: int, line: str) -> None:
        body_start = len(line) - len(line.lstrip().lstrip("#/"))
        body = line[body_start:]
        lead = len(body) - len(body.lstrip())
        body = body.strip()
        if self.in_header:
            self.header.feed(lineno, body_start + lead + 1, body)
        elif directive_keyword(body) is not None:
            raise self.error(lineno, body_start + lead + 1, "header directives must come before "
                             f"the first instruction (line {self.first_insn_line})")

    def _end_header(self, lineno: int) -> None:
        self.in_header = False
        self.header_value = self.header.finish()
        if self.header_value.section is None:
            raise self.error(lineno, 1, 'expected a # SEC("...") line before the first '
                                        "instruction")
        if self.maps is None:
            self.maps = {m.name for m in self.header_value.maps}

    def _code_line(self, lineno: int, line: str) -> None:
        if self.in_header:
            self.first_insn_line = lineno
            self._end_header(lineno)
        line = self._strip_comment(line)
        base, code = 0, None
        first = line.lstrip()[:1]
        if first.isdigit() or first == "(":
            base, code, line = self._strip_prefix(lineno, line)
            if line is None:
                return
        if line.rstrip().endswith(">"):
            line = _OBJDUMP_SUFFIX_RE.sub("", line)
        if code is not None or ";" not in line:
            self._statement(lineno, line, base, len(line), code)
            return
        start = base
        while start <= len(line):  # llvm-mc separates statements with ';'
            end = line.find(";", start)
            end = len(line) if end < 0 else end
            self._statement(lineno, line, start, end, None)
            start = end + 1

    @staticmethod
    def _strip_comment(line: str) -> str:
        hash_at = line.find("#")
        while hash_at > 0 and (line[hash_at - 1].isalnum() or line[hash_at - 1] == "_") and (
                line[hash_at + 1:hash_at + 2].isdigit() or (line[hash_at + 1:hash_at + 2] in "-+"
                and line[hash_at + 2:hash_at + 3].isdigit())):
            hash_at = line.find("#", hash_at + 1)  # name#id of a kernel log call: not a comment
        if hash_at >= 0:
            line = line[:hash_at]
        slashes = line.find("//")
        return line[:slashes] if slashes >= 0 else line

    def _strip_prefix(self, lineno: int, line: str) -> tuple[int, int | None, str | None]:
        """Kernel log ``12: (bf) ...`` (opcode kept to check), objdump ``12: <bytes> ...``."""
        m = _KERNEL_PREFIX_RE.match(line)
        if m:
            semi = line.find(";", m.end())  # the log's "; R1=..." state annotation
            return m.end(), int(m.group(1), 16), line[:semi] if semi >= 0 else line
        m = _OBJDUMP_PREFIX_RE.match(line)
        if m:
            return m.end(), None, _OBJDUMP_SUFFIX_RE.sub("", line)
        m = _OBJDUMP_LABEL_RE.match(line)
        if m:
            self._define_label(lineno, m.group(1), m.start(1) + 1)
            return 0, None, None
        return 0, None, line

    def _define_label(self, lineno: int, name: str, col: int) -> None:
        if name in self.labels:
            raise self.error(lineno, col, f"duplicate label {name!r} (first defined at line "
                                          f"{self.label_lines[name]})")
        if name in _KEYWORDS or name in _SYMBOLS:
            raise self.error(lineno, col, f"expected a label name, found reserved word {name!r}")
        self.labels[name] = len(self.insns)
        self.label_lines[name] = lineno

    def _statement(self, lineno: int, line: str, base: int, end: int, code: int | None) -> None:
        stmt = line[base:end]
        type_id: TypeIdRef | None = None
        if _TYPE_ID_CALL in stmt:
            stmt, type_id = self._type_id(lineno, base, stmt)
        tokens = _tokens(stmt)
        while len(tokens) >= 2 and tokens[1] == ":" and (tokens[0][0].isalpha()
                                                          or tokens[0][0] in "_.$"):
            at = stmt.index(tokens[0])
            self._define_label(lineno, tokens[0], base + at + 1)
            consumed = stmt.index(":", at + len(tokens[0])) + 1
            base, stmt, tokens = base + consumed, stmt[consumed:], tokens[2:]
        if not tokens:
            return
        if code == 0x18 and tokens[-1] != "ll":
            tokens.append("ll")  # the log prints ld_imm64 as "r1 = 0x1234"
        symbols = [_SYMBOLS.get(t) or _symbol(t) for t in tokens]
        template = _SHAPES.get(" ".join(symbols))
        try:
            if template is None:
                raise _diagnose(tokens, symbols)
            values = [_extract(tokens, spec) for spec in template.extract]
            insn = template.build(values)
            if isinstance(insn, LoadImm64) and insn.kind is Imm64Kind.MAP_FD:
                self._check_map(insn.map_name, 2)
            if code is not None and opcode(insn) != code:
                raise _Bad(-1, f"expected opcode ({opcode(insn):02x}) for this instruction, "
                               f"found ({code:02x})")
        except _Bad as bad:
            raise self._at(lineno, line, base, stmt, bad) from None
        if template.label is not None:
            index = symbols.index("I")
            self.pending.append(_Pending(len(self.insns), tokens[index], template.label, lineno,
                                         base, stmt, index))
        if type_id is not None:
            if not _takes_type_id(insn):
                raise self.error(type_id.line, type_id.col, f"expected {_TYPE_ID_CALL}(...) "
                                 "as the immediate of a move, compare or store")
            self.type_ids.append(dataclasses.replace(type_id, slot=len(self.insns)))
        self.insns.append(insn)
        self.lines.append(lineno)
        if isinstance(insn, LoadImm64):
            self.insns.append(IMM64_TAIL)
            self.lines.append(lineno)

    def _type_id(self, lineno: int, base: int, stmt: str) -> tuple[str, TypeIdRef]:
        """Read one ``bpf_core_type_id_kernel(struct NAME)``; blank it to ``0`` (same columns)."""
        at = stmt.index(_TYPE_ID_CALL)
        found = _TYPE_ID_RE.match(stmt, at)
        if found is None:
            raise self.error(lineno, base + at + 1, f"expected {_TYPE_ID_CALL}(struct NAME) "
                             "(or union/enum/typedef NAME)")
        if found.group(2) in ("struct", "union", "enum", "typedef"):
            raise self.error(lineno, base + at + 1, f"expected {_TYPE_ID_CALL}({found.group(2)} "
                             "NAME): the type's name is missing")
        if stmt[:at].rstrip().endswith(("-", "~", "!")):
            raise self.error(lineno, base + at + 1, f"expected {_TYPE_ID_CALL}(...) as a whole "
                             "immediate (an id cannot be negated)")
        if _TYPE_ID_CALL in stmt[found.end():]:
            raise self.error(lineno, base + stmt.index(_TYPE_ID_CALL, found.end()) + 1,
                             f"expected one {_TYPE_ID_CALL}(...) per instruction")
        ref = TypeIdRef(0, found.group(1), found.group(2), lineno, base + at + 1)
        blank = "0".ljust(found.end() - found.start())
        return stmt[:found.start()] + blank + stmt[found.end():], ref

    def _check_map(self, name: str | None, index: int) -> None:
        if self.maps is not None and name not in self.maps:
            raise _Bad(index, f"map {name!r} is not declared by a '# MAP:' line")

    def _at(self, lineno: int, line: str, base: int, stmt: str, bad: _Bad) -> ParseError:
        if bad.index < 0:  # the kernel log's opcode
            return self.error(lineno, line.find("(") + 2, bad.message)
        cols = _columns(stmt)
        if bad.token is not None:
            bad.index = _tokens(stmt).index(bad.token)
        at_end = bad.index >= len(cols)
        col = base + (len(stmt.rstrip()) if at_end else cols[bad.index]) + 1
        return self.error(lineno, col, bad.message)

    def _fix_up(self) -> None:
        """Resolve label targets; ``call NAME`` of no label is a helper if NAME is one."""
        for p in self.pending:
            target = self.labels.get(p.label)
            insn = self.insns[p.slot]
            if p.kind == "call":
                if target is not None:
                    rel = target - p.slot - 1
                    self.insns[p.slot] = Call(CallKind.SUBPROG, rel)
                elif (func_id := helper_id(p.label)) is not None:
                    self.insns[p.slot] = Call(CallKind.HELPER, func_id, p.label)
                continue
            if target is None:
                raise self.error(p.line, p.col, f"unknown label {p.label!r}")
            rel = target - p.slot - 1
            bits = 32 if isinstance(insn, Goto) and insn.long else 16
            if not -(1 << (bits - 1)) <= rel < 1 << (bits - 1):
                hint = " (gotol reaches further)" if bits == 16 else ""
                raise self.error(p.line, p.col, f"jump to label {p.label!r} is {rel} instructions "
                                                f"away, out of {bits}-bit range{hint}")
            self.insns[p.slot] = dataclasses.replace(insn, off=rel)


def _takes_type_id(insn: Insn) -> bool:
    """An instruction whose immediate may be a type id: ``r2 = ID``, ``if r1 == ID``, stores."""
    match insn:
        case Alu(src=None, op=op) if op is not AluOp.NEG:
            return True  # libbpf patches the immediate of any ALU op with BPF_K
        case Jump(src=None) | StoreImm():
            return True
        case LoadImm64(kind=Imm64Kind.PLAIN):
            return True
    return False


# ----------------------------------------------------------------------------- public API


def parse_program(text: str, file: str = "<string>") -> Program:
    """Parse a program file's text into a :class:`Program`.

    Raises :class:`~kfunclab.errors.ParseError` (``FILE:LINE:COL: error: expected ...``) for
    malformed input, and :class:`InsnCountError` (a ProgramError) for a program the kernel
    refuses by size before verifying it.

    >>> prog = parse_program('''# SEC("tc")
    ... # MAP: m array key=u32 value=u64
    ...     r1 = m ll
    ... out:
    ...     if r1 == 0 goto out
    ...     exit''')
    >>> prog.insns[0], prog.labels, prog.source.lines
    (LoadImm64(dst=1, imm=0, kind=<Imm64Kind.MAP_FD: 1>, map_name='m'), {'out': 2}, (3, 3, 5, 6))
    """
    if len(text) > MAX_FILE_BYTES:
        raise ProgramError(f"{file}: {len(text)} characters; expected a program file of at most "
                           f"{MAX_FILE_BYTES} bytes")
    text = text.removeprefix("\ufeff")  # a UTF-8 byte order mark is not part of the program
    parser = _ProgramParser(text, file, None)
    header, insns = parser.run()
    program = Program(
        insns=insns, section=header.section or "", license=header.license,
        dropped_caps=header.dropped_caps, types=header.types, maps=header.maps,
        labels=dict(parser.labels), source=SourceMap(file, text, tuple(parser.lines)),
        type_ids=tuple(parser.type_ids))
    check_insn_count(program)
    return program


def parse_file(path: str | Path) -> Program:
    """Read and parse the program file at ``path`` (UTF-8)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ProgramError(f"{path}: {path.stat().st_size} bytes; expected a program file "
                               f"of at most {MAX_FILE_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise ProgramError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise ParseError(str(path), line, col, f"expected UTF-8 text, found byte "
                                               f"0x{data[exc.start]:02x}") from None
    return parse_program(text, str(path))


def parse_insn(text: str, maps: Collection[str] | None = ()) -> Insn:
    """One instruction (any accepted form) without a program around it.

    Jump targets must be numeric; ``call NAME`` is a helper if NAME is one, else a kfunc; map
    loads accept the names in ``maps`` (None: any name).

    >>> parse_insn("(85) call bpf_task_acquire#65913")
    Call(kind=<CallKind.KFUNC: 2>, imm=65913, name='bpf_task_acquire')
    >>> parse_insn("r0 = *(u32 *)(r1 +4)")
    Load(size=<Size.W: 4>, dst=0, src=1, off=4, signed=False)
    """
    parser = _ProgramParser("", "<insn>", maps)
    parser.in_header = False
    parser._code_line(1, text)
    insns = [i for i in parser.insns if i is not IMM64_TAIL]
    if len(insns) != 1 or parser.labels:
        raise ParseError("<insn>", 1, 1, f"expected exactly one instruction, found {len(insns)}")
    parser._fix_up()
    return parser.insns[0]


def check_insn_count(program: Program) -> None:
    """Raise :class:`InsnCountError` if ``bpf_prog_load`` refuses ``program`` by size.

    The kernel checks ``insn_cnt == 0 || insn_cnt > (bpf_cap ? BPF_COMPLEXITY_LIMIT_INSNS :
    BPF_MAXINSNS)``. Without CAP_BPF and CAP_SYS_ADMIN the default
    ``kernel.unprivileged_bpf_disabled`` answers EPERM before that check, so only the privileged
    limit is applied here.
    """
    bpf_capable = program.has_cap("cap_bpf") or program.has_cap("cap_sys_admin")
    count = len(program.insns)
    if bpf_capable and (count == 0 or count > BPF_COMPLEXITY_LIMIT_INSNS):
        file = program.source.file if program.source else program.name
        lines = program.source.lines if program.source else ()
        # the first instruction over the limit, or (none at all) the end of the file
        line = lines[BPF_COMPLEXITY_LIMIT_INSNS] if len(lines) > BPF_COMPLEXITY_LIMIT_INSNS else (
            program.source.text.count("\n") + 1 if program.source and not count else None)
        raise InsnCountError(file, count, BPF_COMPLEXITY_LIMIT_INSNS, line)
