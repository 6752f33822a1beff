"""Feedback for exercise checks: reading the learner's answer, explaining a rejection, and
following a value back along the path the verifier walked.

>>> path_text((0, 1, 2, 5, 6))
'0-2 → 5-6'
"""

from __future__ import annotations

import hashlib
import html
import itertools
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kfunclab.errors import KfunclabError
from kfunclab.isa.insn import Alu, AluOp, Atomic, Call, Jump, Load, Store, StoreImm
from kfunclab.isa.parser import parse_program
from kfunclab.isa.program import Program
from kfunclab.verifier import Diagnostic, RefEventKind, VerificationResult, verify

ProgramLike = str | Program | VerificationResult
BTF = "bundled"  # the same answers on every machine (Binder has no /sys/kernel/btf/vmlinux)

# --- feedback ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feedback:
    """What a check found: ``passed``, a one-line ``summary`` and ``details`` lines.

    ``str()`` is plain text; in Jupyter it shows as a green or red box.
    """

    exercise: str
    passed: bool
    summary: str
    details: tuple[str, ...] = ()
    result: VerificationResult | None = field(default=None, compare=False, repr=False)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = "✔" if self.passed else "✘"
        return "\n".join([f"{mark} [{self.exercise}] {self.summary}",
                          *(f"  - {d}" for d in self.details)])

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        colour, back = ("#1a7f37", "#e9f7ee") if self.passed else ("#b42318", "#fdecea")
        items = "".join(f"<li>{html.escape(d)}</li>" for d in self.details)
        # explicit text colour: the light background must stay readable in dark themes
        return (f'<div class="kfunclab-feedback" style="border-left:4px solid {colour};'
                f'background:{back};color:#1f2328;padding:6px 10px;margin:4px 0">'
                f'<b style="color:{colour}">{"✔" if self.passed else "✘"} '
                f"{html.escape(self.exercise)}</b>: {html.escape(self.summary)}"
                f'{f"""<ul style="margin:4px">{items}</ul>""" if items else ""}</div>')


# --- reading the learner's answer ----------------------------------------------------------------


def program_of(answer: ProgramLike, file: str = "<your program>") -> Program:
    """The Program behind an answer (text is parsed; a ParseError says line and column)."""
    if isinstance(answer, VerificationResult):
        return answer.program
    if isinstance(answer, Program):
        return answer
    return parse_program(answer, file)


def run(answer: ProgramLike, **options: object) -> VerificationResult:
    """verify() with the bundled BTF (options as for :func:`kfunclab.verifier.verify`)."""
    options.setdefault("btf", BTF)
    return verify(program_of(answer), **options)  # type: ignore[arg-type]


def source_text(program: Program, insn: int) -> str:
    """``line 5: if r0 == 0 goto out`` for an instruction of a parsed program."""
    if program.source is None:
        return ""
    line = program.source.line_of(insn)
    text = program.source.text.splitlines()[line - 1].split("#", 1)[0].split("//", 1)[0]
    return f"line {line}: {text.strip()}"


def where(program: Program, insn: int | None) -> str:
    """``insn 4 (line 6: call bpf_task_release)``."""
    if insn is None:
        return "before verification"
    src = source_text(program, insn)
    return f"insn {insn} ({src})" if src else f"insn {insn}"


def path_text(path: Sequence[int], program: Program | None = None) -> str:
    """Runs of consecutive instructions: ``(0, 1, 2, 5, 6)`` -> ``0-2 → 5-6``.

    With ``program``, the second slot of an ``ld_imm64`` does not break a run.
    """
    follows: dict[int, int] = {}
    if program is not None:
        slots = [slot for slot, _ in program.instructions()]
        follows = dict(itertools.pairwise(slots))
    runs: list[list[int]] = []
    for insn in path:
        if runs and insn in (runs[-1][-1] + 1, follows.get(runs[-1][-1])):
            runs[-1].append(insn)
        else:
            runs.append([insn])
    return " → ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def calls_in(program: Program) -> set[str]:
    """Names of the helpers and kfuncs a program calls."""
    return {ins.name for _, ins in program.instructions() if isinstance(ins, Call) and ins.name}


def loads_at(program: Program, offset: int) -> bool:
    """Whether some ``rX = *(u64 *)(rY + offset)`` load reads that field."""
    return any(isinstance(ins, Load) and ins.off == offset for _, ins in program.instructions())


# --- explaining a rejection ----------------------------------------------------------------------


def _state_before(result: VerificationResult, diag: Diagnostic) -> dict[str, str]:
    """Registers just before the failing instruction, as the log prints them."""
    path = next((p for p in result.paths if p.error == diag), None)
    if path is None or len(path.steps) < 2:
        return {}
    return path.steps[-2].state.live_regs()


def _leak(result: VerificationResult, diag: Diagnostic, found: re.Match[str]) -> list[str]:
    # Not the reference id: kfunclab numbers ids in its own order (the kernel may differ).
    alloc, prog = int(found["insn"]), result.program
    return [f"the reference taken at {where(prog, alloc)} is still held when the program exits "
            f"at {where(prog, diag.insn)}, on the path {path_text(diag.path, prog)}",
            "release it (or hand it on) on that path too"]


def _scalar(result: VerificationResult, diag: Diagnostic, found: re.Match[str]) -> list[str]:
    reg = found["reg"]
    released = [e for lt in result.references for e in lt.events
                if e.kind is RefEventKind.RELEASED and e.insn in diag.path]
    if released:
        return [f"{reg} held a copy of a reference that was released at "
                f"{where(result.program, released[-1].insn)}: every copy (registers and stack "
                "slots) dies with the release, so use the object before releasing it"]
    return [f"{reg} does not hold a pointer here"]


def _maybe_null(result: VerificationResult, diag: Diagnostic, found: re.Match[str]) -> list[str]:
    return [f"on the path {path_text(diag.path, result.program)} nothing has compared the "
            "pointer with 0 yet; check it (if rX == 0 goto ...) on every path that reaches "
            "this instruction"]


def _mem_len(result: VerificationResult, diag: Diagnostic, found: re.Match[str]) -> list[str]:
    regs = _state_before(result, diag)
    ptr, size = int(found["ptr"]) + 1, int(found["ptr"]) + 2
    return [f"R{ptr} = {regs.get(f'R{ptr}', '?')} and R{size} = {regs.get(f'R{size}', '?')}: the "
            "largest size the verifier allows for must fit in the memory the pointer points to"]


def _constant(result: VerificationResult, diag: Diagnostic, found: re.Match[str]) -> list[str]:
    reg = found["reg"]
    value = _state_before(result, diag).get(reg, "?")
    return [f"{reg} = {value}: a __k argument must be one value the verifier knows exactly"]


def _rcu_ptr(result: VerificationResult, diag: Diagnostic, found: re.Match[str]) -> list[str]:
    return ["the pointer was loaded where no RCU read section protects it (a sleepable program "
            "outside bpf_rcu_read_lock()/bpf_rcu_read_unlock(), or a field that is not RCU-safe)"]


def _trusted(result: VerificationResult, diag: Diagnostic, found: re.Match[str]) -> list[str]:
    return ["this argument must be trusted: a reference from an acquire kfunc, or a pointer the "
            "kernel hands over as trusted (a tp_btf argument); an RCU pointer or a pointer "
            "walked from another one is not enough"]


def _sleepable(result: VerificationResult, diag: Diagnostic, found: re.Match[str]) -> list[str]:
    return [f"a kfunc that may sleep is called inside a {found['region']} region: move the call "
            "out of it (before the region starts or after it ends)"]


_EXPLAIN: tuple[tuple[str, Callable[..., list[str]]], ...] = (
    (r"Unreleased reference id=(?P<id>\d+) alloc_insn=(?P<insn>\d+)", _leak),
    (r"(?P<reg>R\d+) invalid mem access 'scalar'", _scalar),
    (r"Possibly NULL pointer passed|invalid mem access 'ptr_or_null_'", _maybe_null),
    (r"arg#(?P<ptr>\d+) arg#\d+ memory, len pair", _mem_len),
    (r"(?P<reg>R\d+) must be a known constant", _constant),
    (r"R\d+ must be a rcu pointer", _rcu_ptr),
    (r"R\d+ must be referenced or trusted", _trusted),
    (r"is sleepable within (?P<region>.+) region", _sleepable),
)


def explain(result: VerificationResult, diag: Diagnostic | None = None) -> list[str]:
    """Lines that say where ``diag`` (default: the first rejection) happened and why."""
    diag = diag or result.error
    if diag is None:
        return []
    lines = [f"the verifier says at {where(result.program, diag.insn)}: {diag.message}"]
    text = "\n".join((*diag.context, diag.message))
    for pattern, why in _EXPLAIN:
        found = re.search(pattern, text)
        if found:
            lines += why(result, diag, found)
            break
    others = len(result.rejected) - 1
    if others > 0:
        lines.append(f"{others} more path(s) are rejected too: fix this one and check again")
    return lines


# --- the shared shape of a program exercise ------------------------------------------------------


@dataclass(frozen=True)
class Exercise:
    """One exercise: where it is, its goal, the broken starter and one right answer."""

    name: str
    notebook: str
    goal: str
    starter: str
    solution: str


def missing_calls(program: Program, names: Iterable[str]) -> list[str]:
    have = calls_in(program)
    return [n for n in names if n not in have]


def program_check(name: str, answer: ProgramLike, *, must_call: Sequence[str],
                   praise: str, **options: object) -> Feedback:
    """Parse, verify, explain; an accepted program must still call what the exercise is about."""
    try:
        program = program_of(answer)
        result = run(program, collect_all=True, **options)
    except KfunclabError as exc:
        return Feedback(name, False, "the verifier cannot read this program",
                        (short_paths(str(exc)),))
    if not result.accepted:
        return Feedback(name, False, f"still rejected: {result.error.message}",  # type: ignore
                        tuple(explain(result)), result)
    missing = missing_calls(program, must_call)
    if missing:
        return Feedback(name, False, "accepted, but the program no longer does the job: it "
                        "must still call " + ", ".join(missing), (), result)
    return Feedback(name, True, praise,
                    (f"the verifier walked {len(result.paths)} path(s), "
                     f"{result.stats.processed_insns} instructions",), result)



# --- catalogue files for C exercises --------------------------------------------------------------

#: catalogue files written by catalog_file(), and the short name messages show for them
_CATALOG_NAMES: dict[str, str] = {}


def catalog_file(text: str, stem: str = "kfuncs") -> str:
    """Write C text where verify(catalog=PATH) can read it (same text, same file).

    Messages about the file name it ``<stem>.h`` (the real path depends on the machine).
    """
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "kfunclab-exercises"
    folder.mkdir(exist_ok=True)
    path = folder / f"{stem}-{digest}.h"
    if not path.exists():
        path.write_text(text)
    _CATALOG_NAMES[str(path)] = f"{stem}.h"
    return str(path)


def short_paths(message: str) -> str:
    for path, name in _CATALOG_NAMES.items():
        message = message.replace(path, name)
    return message


# --- following a value back along a walked path --------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """One instruction on a walked path and the registers just before it ran."""

    insn: int
    regs: tuple  # tuple[Reg, ...] of kfunclab.verifier.regs


def calls_to(result: VerificationResult, name: str) -> list[list[Visit]]:
    """For each time a walked path reached ``call name``: its history, the call first.

    A history runs backwards from the call to the program's entry, through the paths that pushed
    the branch (``ExploredPath.parent``), so a value can be followed to where it was made.
    """
    program = result.program
    slots = dict(program.instructions())
    found = []
    for path in result.paths:
        for k, step in enumerate(path.steps):
            ins = slots.get(step.insn)
            if isinstance(ins, Call) and ins.name == name:
                found.append(_history(result, path, k))
    return found


def _history(result: VerificationResult, path: object, k: int) -> list[Visit]:
    out: list[Visit] = []
    while True:
        for j in range(k, -1, -1):
            before = path.steps[j - 1].state if j > 0 else path.start_state
            out.append(Visit(path.steps[j].insn, before.regs))
        if path.parent is None:
            return out
        parent = result.path(path.parent)
        marks = [j for j, s in enumerate(parent.steps) if s.insn == path.branch_insn]
        if not marks:
            return out
        path, k = parent, marks[-1]


def origin(history: Sequence[Visit], regno: int, program: Program) -> Visit | None:
    """Where the value register ``regno`` holds at ``history[0]`` was made, through copies
    (``rA = rB``): a load, a constant, a call's return, an ALU result; None at the entry."""
    slots = dict(program.instructions())
    for visit in history[1:]:
        ins = slots.get(visit.insn)
        if isinstance(ins, Call):
            if regno <= 5:
                return visit
            continue
        dst = getattr(ins, "dst", None)
        if dst != regno or isinstance(ins, Store | StoreImm | Atomic | Jump):
            continue
        if isinstance(ins, Alu) and ins.op is AluOp.MOV and ins.src is not None and ins.off == 0:
            regno = ins.src
            continue
        return visit
    return None


def insn_at(program: Program, visit: Visit | None) -> object | None:
    """The instruction of a :class:`Visit` (None for None)."""
    return None if visit is None else dict(program.instructions()).get(visit.insn)


def reads_through(result: VerificationResult, call_name: str) -> bool:
    """Whether some walked path loads through the pointer ``call call_name`` returned."""
    program = result.program
    slots = dict(program.instructions())
    for path in result.paths:
        for k, step in enumerate(path.steps):
            ins = slots.get(step.insn)
            if not isinstance(ins, Load):
                continue
            src = origin(_history(result, path, k), ins.src, program)
            made = insn_at(program, src)
            if isinstance(made, Call) and made.name == call_name:
                return True
    return False
