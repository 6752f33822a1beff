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
making sense and what could have come there. The tokens live in :mod:`kfunclab.isa.lexer`,
the templates in :mod:`kfunclab.isa.templates`; this module drives them over a file.

>>> prog = parse_program('# SEC("xdp")\\n  r0 = 2\\n  exit\\n', "xdp.s")
>>> prog.section, prog.insns[0]
('xdp', Alu(op=<AluOp.MOV: 176>, dst=0, src=None, imm=2, wide=True, off=0))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from kfunclab.errors import ParseError, ProgramError
from kfunclab.isa.directives import Header, HeaderParser, directive_keyword
from kfunclab.isa.encoding import opcode
from kfunclab.isa.helpers import helper_id
from kfunclab.isa.insn import (
    IMM64_TAIL,
    Alu,
    AluOp,
    Call,
    CallKind,
    Goto,
    Imm64Kind,
    Insn,
    Jump,
    LoadImm64,
    StoreImm,
)
from kfunclab.isa.lexer import (
    KERNEL_PREFIX_RE,
    KEYWORDS,
    OBJDUMP_LABEL_RE,
    OBJDUMP_PREFIX_RE,
    OBJDUMP_SUFFIX_RE,
    SYMBOLS,
    TYPE_ID_CALL,
    TYPE_ID_RE,
    BadToken,
    shape_symbol,
    token_columns,
    tokenize,
)
from kfunclab.isa.program import Program, SourceMap, TypeIdRef
from kfunclab.isa.templates import SHAPES, diagnose, extract_value

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




@dataclass(slots=True)
class _Pending:
    """A jump or call to a label, fixed up once every label is known."""

    slot: int
    label: str
    kind: str  # "jump", "call" or "func" (a callback's address)
    line: int
    base: int  # where the statement starts in its line, the statement, the label's token index
    stmt: str
    index: int

    @property
    def col(self) -> int:
        return self.base + token_columns(self.stmt)[self.index] + 1



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
            line = OBJDUMP_SUFFIX_RE.sub("", line)
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
        m = KERNEL_PREFIX_RE.match(line)
        if m:
            semi = line.find(";", m.end())  # the log's "; R1=..." state annotation
            return m.end(), int(m.group(1), 16), line[:semi] if semi >= 0 else line
        m = OBJDUMP_PREFIX_RE.match(line)
        if m:
            return m.end(), None, OBJDUMP_SUFFIX_RE.sub("", line)
        m = OBJDUMP_LABEL_RE.match(line)
        if m:
            self._define_label(lineno, m.group(1), m.start(1) + 1)
            return 0, None, None
        return 0, None, line

    def _define_label(self, lineno: int, name: str, col: int) -> None:
        if name in self.labels:
            raise self.error(lineno, col, f"duplicate label {name!r} (first defined at line "
                                          f"{self.label_lines[name]})")
        if name in KEYWORDS or name in SYMBOLS:
            raise self.error(lineno, col, f"expected a label name, found reserved word {name!r}")
        self.labels[name] = len(self.insns)
        self.label_lines[name] = lineno

    def _statement(self, lineno: int, line: str, base: int, end: int, code: int | None) -> None:
        stmt = line[base:end]
        type_id: TypeIdRef | None = None
        if TYPE_ID_CALL in stmt:
            stmt, type_id = self._type_id(lineno, base, stmt)
        tokens = tokenize(stmt)
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
        symbols = [SYMBOLS.get(t) or shape_symbol(t) for t in tokens]
        template = SHAPES.get(" ".join(symbols))
        try:
            if template is None:
                raise diagnose(tokens, symbols)
            values = [extract_value(tokens, spec) for spec in template.extract]
            insn = template.build(values)
            if isinstance(insn, LoadImm64) and insn.kind is Imm64Kind.MAP_FD:
                if self.maps is not None and insn.map_name not in self.maps:
                    # `r2 = LABEL ll`: a callback's address (BPF_PSEUDO_FUNC), resolved with
                    # the labels; an unknown name is still reported as an undeclared map
                    self.pending.append(_Pending(len(self.insns), insn.map_name or "", "func",
                                                 lineno, base, stmt, 2))
                else:
                    self._check_map(insn.map_name, 2)
            if code is not None and opcode(insn) != code:
                raise BadToken(-1, f"expected opcode ({opcode(insn):02x}) for this instruction, "
                                   f"found ({code:02x})")
        except BadToken as bad:
            raise self._at(lineno, line, base, stmt, bad) from None
        if template.label is not None:
            index = symbols.index("I")
            self.pending.append(_Pending(len(self.insns), tokens[index], template.label, lineno,
                                         base, stmt, index))
        if type_id is not None:
            if not _takes_type_id(insn):
                raise self.error(type_id.line, type_id.col, f"expected {TYPE_ID_CALL}(...) "
                                 "as the immediate of a move, compare or store")
            self.type_ids.append(dataclasses.replace(type_id, slot=len(self.insns)))
        self.insns.append(insn)
        self.lines.append(lineno)
        if isinstance(insn, LoadImm64):
            self.insns.append(IMM64_TAIL)
            self.lines.append(lineno)

    def _type_id(self, lineno: int, base: int, stmt: str) -> tuple[str, TypeIdRef]:
        """Read one ``bpf_core_type_id_kernel(struct NAME)``; blank it to ``0`` (same columns)."""
        at = stmt.index(TYPE_ID_CALL)
        found = TYPE_ID_RE.match(stmt, at)
        if found is None:
            raise self.error(lineno, base + at + 1, f"expected {TYPE_ID_CALL}(struct NAME) "
                             "(or union/enum/typedef NAME)")
        if found.group(2) in ("struct", "union", "enum", "typedef"):
            raise self.error(lineno, base + at + 1, f"expected {TYPE_ID_CALL}({found.group(2)} "
                             "NAME): the type's name is missing")
        if stmt[:at].rstrip().endswith(("-", "~", "!")):
            raise self.error(lineno, base + at + 1, f"expected {TYPE_ID_CALL}(...) as a whole "
                             "immediate (an id cannot be negated)")
        if TYPE_ID_CALL in stmt[found.end():]:
            raise self.error(lineno, base + stmt.index(TYPE_ID_CALL, found.end()) + 1,
                             f"expected one {TYPE_ID_CALL}(...) per instruction")
        ref = TypeIdRef(0, found.group(1), found.group(2), lineno, base + at + 1)
        blank = "0".ljust(found.end() - found.start())
        return stmt[:found.start()] + blank + stmt[found.end():], ref

    def _check_map(self, name: str | None, index: int) -> None:
        if self.maps is not None and name not in self.maps:
            raise BadToken(index, f"map {name!r} is not declared by a '# MAP:' line")

    def _at(self, lineno: int, line: str, base: int, stmt: str, bad: BadToken) -> ParseError:
        if bad.index < 0:  # the kernel log's opcode
            return self.error(lineno, line.find("(") + 2, bad.message)
        cols = token_columns(stmt)
        if bad.token is not None:
            bad.index = tokenize(stmt).index(bad.token)
        at_end = bad.index >= len(cols)
        col = base + (len(stmt.rstrip()) if at_end else cols[bad.index]) + 1
        return self.error(lineno, col, bad.message)

    def _fix_up(self) -> None:
        """Resolve label targets; ``call NAME`` of no label is a helper if NAME is one."""
        for p in self.pending:
            target = self.labels.get(p.label)
            insn = self.insns[p.slot]
            if p.kind == "func":
                if target is None:
                    raise self.error(p.line, p.col, f"map {p.label!r} is not declared by a "
                                                    "'# MAP:' line")
                self.insns[p.slot] = LoadImm64(insn.dst, target - p.slot - 1, Imm64Kind.FUNC)
                continue
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
