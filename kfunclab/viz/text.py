"""Instruction text for pictures: one line per slot, blocks cut to a readable length.

Pure text, no matplotlib: the DOT export and the matplotlib views print the same lines.

>>> from kfunclab.isa.parser import parse_program
>>> from kfunclab.verifier.cfg import build_cfg
>>> cfg = build_cfg(parse_program('# SEC("xdp")\\n r0 = 1\\n r0 += 2\\n r0 += 3\\n exit\\n'))
>>> [line.text for line in block_lines(cfg, cfg.blocks[0], max_lines=3)]
['0: r0 = 1', '   … 2 more', '3: exit']
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from kfunclab.isa.insn import Imm64Tail
from kfunclab.isa.printer import format_kernel, format_llvm
from kfunclab.isa.program import Program
from kfunclab.verifier.cfg import BasicBlock, Cfg

Syntax = Literal["llvm", "kernel"]
MAX_LINE_CHARS = 64  # an ld_imm64 with a comment can be long; a box should not be


@dataclass(frozen=True, slots=True)
class BoxLine:
    """One line of a block box: an instruction (``slot``) or an elision (``slot`` None)."""

    slot: int | None
    text: str
    hidden: int = 0  # for an elision: how many instructions it stands for
    tags: tuple[str, ...] = ()  # short notes drawn at the right end ("pruned ×2", "5×")

    @property
    def chars(self) -> int:
        """Width in characters, tags included."""
        return len(self.text) + sum(len(t) + 2 for t in self.tags)


def _labels_by_slot(program: Program) -> dict[int, str]:
    by_slot: dict[int, str] = {}
    for name, slot in program.labels.items():
        by_slot.setdefault(slot, name)
    return by_slot


def insn_text(program: Program, slot: int, syntax: Syntax = "llvm") -> str:
    """The text of the instruction at ``slot``: LLVM assembly (jumps name their labels) or the
    kernel log's form (``(bf) r1 = r0``).

    >>> from kfunclab.isa.parser import parse_program
    >>> prog = parse_program('# SEC("xdp")\\n if r1 == 0 goto out\\nout:\\n exit\\n')
    >>> insn_text(prog, 0), insn_text(prog, 0, "kernel")
    ('if r1 == 0 goto out', '(15) if r1 == 0x0 goto pc+0')
    """
    insn = program.insns[slot]
    if isinstance(insn, Imm64Tail):
        return "(second slot of ld_imm64)"
    if syntax == "kernel":
        text = format_kernel(insn, slot)
    else:
        text = format_llvm(insn, _labels_by_slot(program), slot)
        text += type_id_note(program, slot)
    return text if len(text) <= MAX_LINE_CHARS else text[: MAX_LINE_CHARS - 1] + "…"


CLine = tuple[str, int, str]  # (file, line, C text) of one line_info record


def c_line_of(program: Program, slot: int) -> CLine | None:
    """The C line that produced ``slot`` (from the object's line_info), None without one.

    A line_info record covers its slot and the slots after it up to the next record, as the
    kernel's ``find_linfo()`` reads them. Assembly programs have no line_info.

    >>> from dataclasses import replace
    >>> from kfunclab.isa.parser import parse_program
    >>> prog = parse_program('# SEC("xdp")\\n r0 = 1\\n r0 += 2\\n exit\\n')
    >>> prog = replace(prog, c_lines={0: ("p.c", 4, "\\treturn 3;")})
    >>> c_line_of(prog, 2)
    ('p.c', 4, '\\treturn 3;')
    """
    c_lines = program.c_lines
    if not c_lines:
        return None
    found = max((s for s in c_lines if s <= slot), default=None)
    return c_lines[found] if found is not None else None


def c_line_text(record: CLine, max_chars: int = 0) -> str:
    """The kernel log's form of a C line: ``; t = bpf_task_acquire(p); @ prog.c:42``; with
    ``max_chars`` the C text is cut (``…``) so the whole fits, keeping ``@ file:N``.

    >>> c_line_text(("p.c", 42, "\\tt = bpf_task_acquire(p);"), max_chars=24)
    '; t = bpf_task… @ p.c:42'
    """
    file, line, text = record
    text, tail = text.strip(), f" @ {file}:{line}"
    room = max_chars - len(tail) - 2
    if max_chars and len(text) > room:
        text = text[: max(room - 1, 8)] + "…"
    return f"; {text}{tail}"


def c_line_starts(program: Program) -> dict[int, CLine]:
    """Slot -> C line for every slot where a new C line starts (the slots the kernel's
    ``verbose_linfo()`` prints a ``; text @ file:N`` line above, walking straight through).

    >>> from dataclasses import replace
    >>> from kfunclab.isa.parser import parse_program
    >>> prog = parse_program('# SEC("xdp")\\n r0 = 1\\n r0 += 2\\n exit\\n')
    >>> line = ("p.c", 4, "return 3;")
    >>> sorted(c_line_starts(replace(prog, c_lines={0: line, 1: line, 2: ("p.c", 5, "}")})))
    [0, 2]
    """
    starts: dict[int, CLine] = {}
    previous: CLine | None = None
    for slot in sorted(program.c_lines):
        record = program.c_lines[slot]
        if record != previous:
            starts[slot] = record
        previous = record
    return starts


def type_id_note(program: Program, slot: int) -> str:
    """``  # bpf_core_type_id_kernel(struct cgroup)`` after an immediate the program wrote as a
    type's name: the number shown is this BTF's id for it ("" for other instructions)."""
    ref = program.type_id_ref(slot)
    return f"  # {ref.text}" if ref is not None else ""


def slot_width(program: Program) -> int:
    """Digits of the largest slot number, so numbers line up in every box."""
    return len(str(max(len(program.insns) - 1, 0)))


def insn_line(program: Program, slot: int, syntax: Syntax = "llvm", width: int = 0) -> str:
    """``"12: r1 = r8"``: the slot number (right-aligned to ``width``) and the instruction."""
    return f"{slot:>{width}}: {insn_text(program, slot, syntax)}"


def _kept_slots(slots: tuple[int, ...], keep: Collection[int], max_lines: int) -> list[int]:
    """Which slots a box shows: first, last and ``keep`` always, then the earliest others while
    the shown slots plus one "… N more" line per gap fit in ``max_lines``."""
    must = {slots[0], slots[-1], *(s for s in keep if s in set(slots))}

    def lines_needed(shown: set[int]) -> int:
        gaps = sum(1 for i, s in enumerate(slots)
                   if s not in shown and (i == 0 or slots[i - 1] in shown))
        return len(shown) + gaps

    shown = set(must)
    for s in slots:
        if s not in shown and lines_needed(shown | {s}) <= max_lines:
            shown.add(s)
    return [s for s in slots if s in shown]


def block_lines(cfg: Cfg, block: BasicBlock, *, syntax: Syntax = "llvm",
                keep: Collection[int] = (), max_lines: int = 14) -> tuple[BoxLine, ...]:
    """The lines of one block's box, at most ``max_lines`` (never fewer than 3) instructions.

    A program built from C also gets its C lines (``; text @ file:N``, slot None), each above
    the first instruction it produced and one atop each block.

    Long blocks show their first instructions and their last one, with ``… N more`` where
    instructions are left out; slots in ``keep`` (the failing instruction, a pruned one) are
    always shown.
    """
    program = cfg.program
    width = slot_width(program)
    slots = block.slots
    shown = _kept_slots(slots, keep, max(max_lines, 3)) if len(slots) > max_lines else slots
    starts = c_line_starts(program)
    lines: list[BoxLine] = []
    hidden = 0
    for s in slots:
        if s not in shown:
            hidden += 1
            continue
        if hidden:
            lines.append(BoxLine(None, f"{'':>{width}}  … {hidden} more", hidden))
            hidden = 0
        # an object's C line above the first instruction it produced (and atop every block)
        record = starts.get(s) or (c_line_of(program, s) if s == slots[0] else None)
        if record is not None:
            lines.append(BoxLine(None, c_line_text(record, MAX_LINE_CHARS)))
        lines.append(BoxLine(s, insn_line(program, s, syntax, width)))
    if hidden:  # pragma: no cover - the last slot is always shown
        lines.append(BoxLine(None, f"… {hidden} more", hidden))
    return tuple(lines)


def block_header(cfg: Cfg, block: BasicBlock) -> str:
    """A block's title: its label(s) if the program names its first slot, else its slot range."""
    names = [n for n, s in cfg.program.labels.items() if s == block.start]
    if block.start == cfg.subprogs[block.subprog].start and block.subprog > 0 and not names:
        names = [f"subprog {block.subprog}"]
    span = f"{block.start}" if block.start == block.end else f"{block.start}–{block.end}"
    return f"{', '.join(names)}:  [{span}]" if names else f"[{span}]"
