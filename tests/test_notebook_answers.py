"""Every kernel answer the notebooks record is checked against the running kernel.

A lesson cell ``kernel_said(prog, "R1 must be a rcu pointer")`` records what a kernel answered
for ``prog`` (a ``%%bpf -n prog`` cell or ``prog = verify_text(...)``). This test finds each
such call with the program it names, loads the program into the running kernel (load only) and
asserts the same answer — so a recorded answer can never again disagree silently. An answer
labelled ``recorded_on=FROM_SOURCE`` (read from the upstream v6.18 sources, where this build
differs) is instead checked against kfunclab's upstream model, and must sit next to a recorded
answer of a real kernel for the same program, so the notebook shows both.
"""

from __future__ import annotations

import argparse
import ast
import json
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from kfunclab.exercises import FROM_SOURCE, RECORDED_ON, answer_text
from kfunclab.isa.parser import parse_program
from kfunclab.isa.program import Program
from kfunclab.kernel import kernel_available, kernel_verdict
from kfunclab.verifier import verify
from kfunclab.widgets.source import parse_cell

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
KERNEL_OK, WHY = kernel_available()
_LABELS = {"FROM_SOURCE": FROM_SOURCE, "RECORDED_ON": RECORDED_ON}


@dataclass(frozen=True)
class Recorded:
    notebook: str
    cell: int
    name: str
    program: Program | None  # None: the name is not a program the kernel can judge
    why_not: str
    answer: str  # "accept" / "reject: <message>"
    recorded_on: str

    @property
    def id(self) -> str:
        return f"{self.notebook}[{self.cell}]:{self.name}" + (
            "(from source)" if self.recorded_on == FROM_SOURCE else "")


def _bpf_args(line: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("section", nargs="?")
    for flag in (("--profile", "-p"), ("--catalog", "-c"), ("--name", "-n"), ("--btf",)):
        p.add_argument(*flag)
    p.add_argument("--all-errors", "-a", action="store_true")
    p.add_argument("--log", "-l", action="store_true")
    return p.parse_args(shlex.split(line))


def _python(source: str) -> ast.Module | None:
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _label(node: ast.expr | None) -> str:
    if node is None:
        return RECORDED_ON
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in _LABELS:
        return _LABELS[node.id]
    raise AssertionError(f"recorded_on must be a string or FROM_SOURCE, not {ast.dump(node)}")


def collect(path: Path) -> list[Recorded]:
    """The kernel_said() calls of one notebook, with the programs they name."""
    nb = json.loads(path.read_text())
    programs: dict[str, tuple[Program | None, str]] = {}
    found: list[Recorded] = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if source.startswith("%%"):  # a cell magic: only %%bpf cells hold assembly programs
            line, _, body = source.partition("\n")
            magic, _, rest = line.partition(" ")
            if magic != "%%bpf":
                continue
            args = _bpf_args(rest)
            if args.name:
                judgeable = not args.catalog and args.profile in (None, "linux-6.18")
                programs[args.name] = ((parse_cell(body, args.section), "") if judgeable else
                                       (None, "uses a kfunc catalogue or profile of its own"))
            continue
        tree = _python(source)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                    and isinstance(node.value.func, ast.Name)
                    and node.value.func.id == "verify_text"
                    and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value.args[0], ast.Constant)):
                options = {k.arg for k in node.value.keywords} - {"btf"}
                programs[node.targets[0].id] = (
                    (parse_program(node.value.args[0].value), "") if not options else
                    (None, f"verified with {', '.join(sorted(options))}"))
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "kernel_said"):
                name = node.args[0].id  # type: ignore[attr-defined]
                message = node.args[1].value if len(node.args) > 1 else None  # type: ignore
                on = _label(next((k.value for k in node.keywords if k.arg == "recorded_on"),
                                 None))
                program, why = programs.get(name, (None, f"no program named {name} before"))
                found.append(Recorded(path.stem, index, name, program, why,
                                      answer_text("accept" if message is None else "reject",
                                                  message), on))
    return found


ALL = [r for path in sorted(NOTEBOOKS.glob("*.ipynb")) for r in collect(path)]


def test_every_recorded_answer_names_a_program_the_kernel_can_judge() -> None:
    assert len(ALL) >= 35
    unresolved = [f"{r.id}: {r.why_not}" for r in ALL if r.program is None]
    assert not unresolved, unresolved


def test_an_answer_from_source_sits_next_to_a_kernels_answer() -> None:
    """Where this build and upstream differ, the notebook shows both, each labelled."""
    for r in ALL:
        if r.recorded_on == FROM_SOURCE:
            assert any(o.notebook == r.notebook and o.name == r.name
                       and o.recorded_on != FROM_SOURCE for o in ALL), r.id


@pytest.mark.parametrize("rec", [r for r in ALL if r.recorded_on == FROM_SOURCE],
                         ids=lambda r: r.id)
def test_an_answer_from_source_is_kfunclabs_upstream_model(rec: Recorded) -> None:
    assert rec.program is not None
    result = verify(rec.program, btf="bundled", profile="linux-6.18")
    assert answer_text(result.verdict.value,
                       result.error.message if result.error else None) == rec.answer


@pytest.mark.kernel
@pytest.mark.skipif(not KERNEL_OK, reason=WHY)
@pytest.mark.parametrize("rec", [r for r in ALL if r.recorded_on != FROM_SOURCE],
                         ids=lambda r: r.id)
def test_the_running_kernel_gives_the_recorded_answer(rec: Recorded, live_profile: object) -> None:
    """The kernel asked now gives the recorded answer, and so does kfunclab's ``live`` profile."""
    assert rec.program is not None, rec.why_not
    live = kernel_verdict(rec.program)
    now = answer_text(live.verdict, live.error)
    assert now == rec.answer, (f"{rec.id}: recorded on {rec.recorded_on} {rec.answer!r}; "
                               f"kernel {live.kernel} answers {now!r} now")
    ours = verify(rec.program, btf="live", profile=live_profile)  # type: ignore[arg-type]
    assert answer_text(ours.verdict.value, ours.error.message if ours.error else None) == now


def _recorded_counts() -> tuple[object, dict[int, tuple[int, int]]]:
    """nb10's ``diamonds(n)`` and the kernel's recorded (processed insns, total states)."""
    nb = json.loads((NOTEBOOKS / "10-pruning-and-precision.ipynb").read_text())
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    space: dict[str, object] = {}
    maker = next(s for s in sources if s.startswith("def diamonds"))
    exec(maker.split("\nprint(", 1)[0], space)
    table = next(s for s in sources if "KERNEL = {" in s)
    line = next(ln for ln in table.splitlines() if ln.startswith("KERNEL = "))
    return space["diamonds"], ast.literal_eval(line.removeprefix("KERNEL = "))


@pytest.mark.kernel
@pytest.mark.skipif(not KERNEL_OK, reason=WHY)
def test_the_running_kernel_gives_the_recorded_state_counts() -> None:
    diamonds, counts = _recorded_counts()
    for n, (processed, states) in counts.items():
        live = kernel_verdict(parse_program(diamonds(n)))  # type: ignore[operator]
        assert (live.processed_insns, live.total_states) == (processed, states), n
