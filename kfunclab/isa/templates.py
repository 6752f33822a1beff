"""The instruction templates: every instruction's shape and how its values are read.

A template such as ``"R = * ( S * ) ( R {off} )"`` is expanded once into every concrete shape
(``{off}`` stands for ``+ N``, ``- N``, ``+ - N`` or nothing) with the extractors that read its
values; :data:`SHAPES` maps each shape to its :class:`Template`. A statement whose shape is in no
template is explained by :func:`diagnose`, which walks the shapes' prefix tree.

>>> SHAPES["R = R"].build([1, 2])
Alu(op=<AluOp.MOV: 176>, dst=1, src=2, imm=0, wide=True, off=0)
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from kfunclab.isa.helpers import helper_id, helper_name
from kfunclab.isa.insn import (
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
    MayGoto,
    PacketMode,
    Size,
    Store,
    StoreImm,
)
from kfunclab.isa.lexer import SYMBOLS, BadToken, parse_number, signed_field

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


# A value extractor: (kind, token index, sign); kinds: reg, text, num, imm32, imm64, off16,
# disp32, rel16, rel32, label, zero.
Extractor = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class Template:
    build: Callable[[list], Insn]
    extract: tuple[Extractor, ...]
    label: str | None = None  # "jump" or "call": the insn's target is a label fixed up later


def extract_value(tokens: list[str], spec: Extractor) -> object:
    kind, i, sign = spec
    if kind == "reg":
        return int(tokens[i][1:])
    if kind == "text":
        return tokens[i]
    if kind == "zero":
        return 0
    value = sign * parse_number(tokens[i], i)
    if kind == "imm32":
        return signed_field(value, 32, i, "immediate")
    if kind == "imm64":
        return signed_field(value, 64, i, "immediate")
    if kind in ("off16", "rel16"):
        if not -(1 << 15) <= value < 1 << 15:
            raise BadToken(i, f"offset {value} out of 16-bit range")
        return value
    if not -(1 << 31) <= value < 1 << 31:  # disp32, rel32
        raise BadToken(i, f"offset {value} out of 32-bit range")
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
            ) -> dict[str, Template]:
    """Every concrete shape of ``pattern`` with the extractors that read its values."""
    parts = pattern.split()
    choices = [_VARIANTS[p[1:-1]] if p.startswith("{") else [(p, "", 0, -1)] for p in parts]
    out: dict[str, Template] = {}
    for combo in itertools.product(*choices):
        symbols: list[str] = []
        extract: list[Extractor] = []
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
        out[" ".join(symbols)] = Template(build, tuple(extract), label if keep else None)
    return out


# ----------------------------------------------------------------------------- instruction builders
# Each takes the values its template extracts, in order, and returns the instruction. Token
# indexes in BadToken are only approximate where noted; the message names the offending text.


def _alu_reg(v: list, wide: bool) -> Insn:
    dst, op, src = v
    return Alu(_ALU_OPS[op], dst, src, 0, wide, 1 if op in ("s/=", "s%=") else 0)


def _alu_imm(v: list, wide: bool) -> Insn:
    dst, op, imm = v
    return Alu(_ALU_OPS[op], dst, None, imm, wide, 1 if op in ("s/=", "s%=") else 0)


def _neg(v: list, wide: bool) -> Insn:
    dst, src = v
    if dst != src:
        raise BadToken(3, f"expected {'rw'[not wide]}{dst} (neg works in place), found "
                          f"{'rw'[not wide]}{src}")
    return Alu(AluOp.NEG, dst, None, 0, wide)


def _movsx(v: list, wide: bool) -> Insn:
    dst, size, src = v
    allowed = ("s8", "s16", "s32") if wide else ("s8", "s16")
    if size not in allowed:
        raise BadToken(3, f"expected {_either([f'({s})' for s in allowed])}, found ({size})")
    return Alu(AluOp.MOV, dst, src, 0, wide, int(size[1:]))


def _endian(v: list) -> Insn:
    dst, word, src = v
    if dst != src:
        raise BadToken(3, f"expected r{dst} (byte swaps work in place), found r{src}")
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
    func_id = signed_field(int(number), 32, 1, "call id")
    if name == "unknown":
        return Call(CallKind.HELPER, func_id, helper_name(func_id))
    if name == "kernel-function":
        return Call(CallKind.KFUNC, func_id)
    table_id = helper_id(name)
    if table_id is None:
        return Call(CallKind.KFUNC, func_id, name)
    if table_id != func_id:
        raise BadToken(1, f"expected {name}#{table_id} (helper {name} is id {table_id}), "
                          f"found {v[0]!r}")
    return Call(CallKind.HELPER, func_id, name)


def _size(text: str, unsigned_only: bool = False, sizes: tuple[Size, ...] = tuple(Size)
          ) -> Size:
    size = _SIZES[text]
    if (unsigned_only and text[0] == "s") or size not in sizes:
        names = [n for n, s in _SIZES.items() if s in sizes and not (unsigned_only and n[0] == "s")]
        raise BadToken(0, f"expected {_either(names)}, found {text!r}", token=text)
    return size


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _load(v: list) -> Insn:
    dst, size, src, off = v
    return Load(_size(size), dst, src, off, signed=size[0] == "s")


def _narrow(size: str) -> None:
    """A w register moves at most 32 bits: ``*(u64 *)(r10 - 8) = w1`` is refused, as llvm-mc."""
    if size in ("u64", "s64"):
        raise BadToken(0, f"expected u8, u16 or u32 with a w register, found {size!r}", token=size)


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
        raise BadToken(0, f"expected +=, |=, &= or ^= after lock *(...), found {op!r}", token=op)
    return Atomic(_size(size, True, _ATOMIC_SIZES), dst, off, src, _ATOMIC_OPS[op])


def _fetch(v: list) -> Insn:
    ret, word, size, dst, off, src = v
    sz = _size(size, True, _ATOMIC_SIZES)
    if "64" in word and sz is not Size.DW:
        raise BadToken(0, f"expected u64 with {word}, found {size!r}", token=size)
    if ret != src:
        raise BadToken(0, f"expected the result register to be the source register r{src}")
    op = {"add": AtomicOp.ADD, "and": AtomicOp.AND, "or": AtomicOp.OR, "xor": AtomicOp.XOR}[
        word.rsplit("_", 1)[1]]
    return Atomic(sz, dst, off, src, op, fetch=True)


def _xchg(v: list, size: Size | None, word: str = "") -> Insn:
    if size is None:  # kernel form: r1 = atomic64_xchg((u64 *)(r10 -8), r1)
        ret, sz, dst, off, src = v
        size = _size(sz, True, _ATOMIC_SIZES)
        if (word == "atomic64_xchg") != (size is Size.DW):
            want = 'u64' if word == 'atomic64_xchg' else 'u32'
            raise BadToken(0, f"expected {want} with {word}, "
                              f"found {sz!r}", token=sz)
    else:
        ret, dst, off, src = v
    if ret != src:
        raise BadToken(0, f"expected the result register to be the source register r{src}")
    return Atomic(size, dst, off, src, AtomicOp.XCHG, fetch=True)


def _cmpxchg(v: list, size: Size | None, word: str = "") -> Insn:
    if size is None:
        ret, sz, dst, off, cmp, src = v
        size = _size(sz, True, _ATOMIC_SIZES)
        if (word == "atomic64_cmpxchg") != (size is Size.DW):
            raise BadToken(0, f"expected {'u64' if '64' in word else 'u32'} with {word}, "
                              f"found {sz!r}", token=sz)
    else:
        ret, dst, off, cmp, src = v
    if ret != 0 or cmp != 0:
        raise BadToken(0, "expected r0 as result and comparand of cmpxchg (it compares with r0)")
    return Atomic(size, dst, off, src, AtomicOp.CMPXCHG, fetch=True)


def _packet(v: list, mode: PacketMode) -> Insn:
    dst, size, *rest = v
    if dst != 0:
        raise BadToken(0, f"expected r0 (packet loads always load into r0), found r{dst}")
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
    ("may_goto {tgt}", lambda v: MayGoto(v[0] if isinstance(v[0], int) else 0), "jump"),
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


def _build_shapes() -> dict[str, Template]:
    shapes: dict[str, Template] = {}
    for pattern, build, label in _TEMPLATES:
        for shape, template in _expand(pattern, build, label).items():
            shapes.setdefault(shape, template)
    return shapes


SHAPES = _build_shapes()
_TRIE: dict | None = None


def _trie() -> dict:
    global _TRIE
    if _TRIE is None:
        root: dict = {}
        for shape in SHAPES:
            node = root
            for sym in shape.split():
                node = node.setdefault(sym, {})
            node["$"] = {}
        _TRIE = root
    return _TRIE


def diagnose(tokens: list[str], symbols: list[str]) -> BadToken:
    """Why a statement matches no template: the first token no template allows there."""
    node, depth = _trie(), 0
    while depth < len(symbols) and symbols[depth] in node:
        node = node[symbols[depth]]
        depth += 1
    found = repr(tokens[depth]) if depth < len(tokens) else "end of line"
    tok = tokens[depth] if depth < len(tokens) else ""
    if re.fullmatch(r"[rw]\d+", tok) and tok not in SYMBOLS:
        return BadToken(depth, f"expected a register {tok[0]}0-{tok[0]}10, found {found}")
    if depth == 0:
        if tok.startswith(".") and len(tokens) > 0:
            return BadToken(0, f"expected an instruction, found assembler directive {found}")
        return BadToken(0, f"expected an instruction, found {found}")
    sym = symbols[depth] if depth < len(symbols) else "$"
    if sym in ("R", "W") and ({"R", "W"} - {sym}) & node.keys():
        other = "w" if sym == "R" else "r"
        return BadToken(depth, f"expected a register {other}0-{other}10, found {found} (r and w "
                               "registers do not mix in one instruction)")
    if {"+", "-", "N", "I", "pc"} <= node.keys():
        return BadToken(depth, f"expected a jump target (+N, -N, pc+N or a label), found {found}")
    expected = sorted(node, key=lambda s: (s == "$", s))
    words = [_DESCRIBE.get(s, repr(s)) for s in expected]
    if len(words) > 5:
        words = [*words[:4], "..."]
    return BadToken(depth, f"expected {_either(words)}, found {found}")


