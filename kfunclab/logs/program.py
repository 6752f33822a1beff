"""The program a verifier log prints, rebuilt as a :class:`~kfunclab.isa.program.Program`.

A level-2 log lists every instruction of each function in its ``Live regs before insn:`` table;
the instruction lines of the walk add the ones a level-1 log shows. Each text is the kernel's
``print_bpf_insn()`` form, which kfunclab's parser reads (``(bf) r1 = r6``, ``call pc+2``,
``call bpf_task_acquire#65913``). A 64-bit immediate load takes two slots: its second slot
becomes the tail. A slot the log never printed becomes ``r0 = r0`` and is named in the notes,
so the CFG still has one node per slot.

>>> prog, bad, notes = log_program({0: "(b7) r0 = 2", 1: "(95) exit"}, "xdp", "t.log")
>>> len(prog.insns), bad, notes
(2, [], [])
"""

from __future__ import annotations

import re

from kfunclab.errors import KfunclabError
from kfunclab.isa.insn import IMM64_TAIL, Alu, AluOp, Call, CallKind, Imm64Kind, Insn, LoadImm64
from kfunclab.isa.parser import parse_insn
from kfunclab.isa.program import Program, SourceMap

#: ``r1 = map[id:5]`` / ``r1 = map[id:5][0]+4``: how print_bpf_insn() names a map load
_MAP_LOAD = re.compile(r"\(18\) r(\d+) = map\[id:(\d+)\](?:\[0\]\+(\d+))?$")
PLACEHOLDER = Alu(AluOp.MOV, dst=0, src=0)


def parse_log_insn(text: str) -> Insn:
    """One instruction as the kernel prints it (raises a KfunclabError if unreadable)."""
    if text == "<invalid kfunc call>":  # a kfunc call libbpf could not resolve
        return Call(CallKind.KFUNC, 0, text)
    found = _MAP_LOAD.match(text)
    if found:
        kind = Imm64Kind.MAP_VALUE if found.group(3) is not None else Imm64Kind.MAP_FD
        return LoadImm64(int(found.group(1)), int(found.group(3) or 0), kind,
                         f"map_id_{found.group(2)}")
    return parse_insn(text, maps=None)


def log_program(texts: dict[int, str], section: str, file: str
                ) -> tuple[Program, list[tuple[int, str]], list[str]]:
    """``(program, unreadable, notes)`` from ``{insn index: kernel text}``.

    ``unreadable`` lists ``(insn, text)`` the parser refused (they become placeholders).
    """
    if not texts:
        return Program((), section, source=SourceMap(file, "", ())), [], []
    size = max(texts) + 1
    last = texts[max(texts)]
    try:
        if isinstance(parse_log_insn(last), LoadImm64):
            size += 1
    except KfunclabError:
        pass
    insns: list[Insn | None] = [None] * size
    unreadable: list[tuple[int, str]] = []
    for idx in sorted(texts):
        if insns[idx] is not None:  # the tail of a ld_imm64 already placed
            continue
        try:
            insn = parse_log_insn(texts[idx])
        except KfunclabError:
            unreadable.append((idx, texts[idx]))
            insn = PLACEHOLDER
        insns[idx] = insn
        if isinstance(insn, LoadImm64) and idx + 1 < size:
            insns[idx + 1] = IMM64_TAIL
    missing = [i for i, insn in enumerate(insns) if insn is None]
    notes = []
    if missing:
        notes.append(f"the log never printed insn(s) {_ranges(missing)}: shown as r0 = r0")
    final = tuple(PLACEHOLDER if i is None else i for i in insns)
    # the listing shows the kernel's own text: one source line per slot
    lines = [f"{i}: {texts[i]}" if i in texts else f"{i}:" for i in range(size)]
    source = SourceMap(file, "\n".join(lines) + "\n", tuple(range(1, size + 1)))
    return Program(final, section, source=source, name="log"), unreadable, notes


def _ranges(values: list[int]) -> str:
    out: list[str] = []
    start = prev = values[0]
    for v in [*values[1:], None]:  # type: ignore[list-item]
        if v is not None and v == prev + 1:
            prev = v
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if v is not None:
            start = prev = v
    return ", ".join(out)
