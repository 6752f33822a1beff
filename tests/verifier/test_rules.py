"""The verifier's rules, pinned to the kernel's answers — recorded, and asked now.

Every ``programs/<rule>/NAME.s`` is a short program in the style of the kernel's selftests
(``tools/testing/selftests/bpf/progs/verifier_*.c``): a ``# description`` line, and the bug
marked by a comment on the instruction that causes it (``r6 = r0  # leak``). Type ids are
written ``bpf_core_type_id_kernel(struct X)``, so a program means the same on every build.

Two comparisons, each on every file:

- **offline** (every machine): kfunclab under ``linux-6.18`` with the bundled BTF against
  ``expected.json``, what a 6.18 kernel answered when ``scripts/refresh_expectations.py`` last
  loaded each file (the ``kernel`` field says which build). This is the documentation of the
  upstream behaviour, and it runs where no kernel can be asked (Binder, laptops).
- **live** (where ``bpf()`` works): the running kernel is asked *now*, and kfunclab under the
  ``live`` profile (the running kernel's probed switches) with the running kernel's BTF must
  give the same verdict, message, context lines, error instruction and state counters. Kernel
  builds differ (ids, offsets, patches); this comparison never assumes which one runs.

The parametrised tests are split so that each kind of difference shows on its own.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from kfunclab.isa.parser import parse_program
from kfunclab.kernel import kernel_available
from kfunclab.verifier import RefEventKind, VerificationResult, verify

HERE = Path(__file__).resolve().parent
PROGRAMS = HERE / "programs"
EXPECTED: dict[str, dict[str, Any]] = json.loads((HERE / "expected.json").read_text())
FILES = sorted(p.relative_to(PROGRAMS).as_posix() for p in PROGRAMS.rglob("*.s"))
REJECTS = [f for f in FILES if EXPECTED.get(f, {}).get("verdict") == "reject"]
WITH_STATS = [f for f in FILES if EXPECTED.get(f, {}).get("processed_insns") is not None]
WITH_CONTEXT = [f for f in REJECTS if EXPECTED[f]["context"]]
WITH_INSN = [f for f in REJECTS if EXPECTED[f]["insn"] is not None]

# A program the kernel verifies in microseconds must not keep the suite waiting: past this,
# kfunclab's verifier is treated as hung on it (the test fails, naming the file).
TIME_LIMIT_S = 3.0


class VerifierTimeout(Exception):
    """verify() ran past TIME_LIMIT_S on one program."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise VerifierTimeout in the main thread after ``seconds`` (no-op in other threads)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum: int, _frame: object) -> None:
        raise VerifierTimeout(f"verify() did not finish within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _verify(rel: str, **options: Any) -> VerificationResult:
    path = PROGRAMS / rel
    options.setdefault("btf", "bundled")
    options.setdefault("profile", "linux-6.18")
    with _time_limit(TIME_LIMIT_S):
        return verify(parse_program(path.read_text(), str(path)), **options)


@functools.cache
def _ours(rel: str) -> VerificationResult | BaseException:
    """kfunclab's answer on one file, computed once for all the tests that compare it.

    A crash or a timeout is kept as the value, so every test on that file reports it instead of
    running the verifier again.
    """
    try:
        return _verify(rel)
    except (Exception, RecursionError) as exc:  # reported by the tests, never swallowed
        return exc


def ours(rel: str) -> VerificationResult:
    result = _ours(rel)
    if isinstance(result, BaseException):
        pytest.fail(f"{rel}: kfunclab's verifier raised {type(result).__name__}: {result}")
    return result


def _program_text(rel: str) -> str:
    return (PROGRAMS / rel).read_text()


# --- the corpus itself -----------------------------------------------------------------------

def test_every_program_has_a_kernel_answer() -> None:
    assert sorted(EXPECTED) == FILES, "run scripts/refresh_expectations.py"


def test_corpus_covers_accepts_and_rejects_of_every_rule() -> None:
    rules = {f.split("/")[0] for f in FILES}
    for rule in rules:
        verdicts = {EXPECTED[f]["verdict"] for f in FILES if f.startswith(rule + "/")}
        assert verdicts == {"accept", "reject"}, rule
    assert len(FILES) >= 80


_DIRECTIVE = re.compile(r"#\s*(SEC\(|LICENSE\(|CAPS:|TYPE:|MAP:)")
_BUG_MARK = re.compile(r"^\s*[^#\s].*#\s*(bug|leak|double release|use after release)\b")


@pytest.mark.parametrize("rel", FILES)
def test_program_is_described_and_marks_its_bug(rel: str) -> None:
    lines = _program_text(rel).splitlines()
    assert lines[0].startswith('# SEC("'), "the first line names the section"
    header = [ln for ln in lines if ln.startswith("#")]
    assert any(not _DIRECTIVE.match(ln) and len(ln) > 10 for ln in header), "no description"
    if EXPECTED[rel]["verdict"] == "reject":
        assert any(_BUG_MARK.match(ln) for ln in lines), "a rejected program marks its bug"


# --- kfunclab against the kernel ---------------------------------------------------------------

@pytest.mark.parametrize("rel", FILES)
def test_verdict_and_message(rel: str) -> None:
    want = EXPECTED[rel]
    got = ours(rel)
    message = got.error.message if got.error else None
    assert (got.verdict.value, message) == (want["verdict"], want["error"])


@pytest.mark.parametrize("rel", WITH_CONTEXT)
def test_context(rel: str) -> None:
    got = ours(rel)
    assert got.error is not None
    assert list(got.error.context) == EXPECTED[rel]["context"]


@pytest.mark.parametrize("rel", WITH_INSN)
def test_error_insn(rel: str) -> None:
    got = ours(rel)
    assert got.error is not None
    assert got.error.insn == EXPECTED[rel]["insn"]


@pytest.mark.parametrize("rel", WITH_STATS)
def test_stats(rel: str) -> None:
    want = EXPECTED[rel]
    s = ours(rel).stats
    assert (s.processed_insns, s.total_states, s.peak_states) == (
        want["processed_insns"], want["total_states"], want["peak_states"])


# --- targeted checks on the result value -------------------------------------------------------

@pytest.mark.parametrize(("rel", "insn"), [
    ("references/double_release.s", 7),                # the second bpf_task_release call
    ("references/use_after_release_stack_spill.s", 7),  # the read through the filled copy
    ("ret_null/null_check_one_arm_of_diamond.s", 8),   # the read at the join
    ("k/two_paths_small_and_big.s", 12),               # the read on the cpumask path
    ("references/leak_on_one_branch.s", 9),            # the exit that still holds the cgroup
])
def test_error_insn_points_at_the_bug(rel: str, insn: int) -> None:
    assert EXPECTED[rel]["insn"] == insn  # the kernel agrees with this reading of the program
    assert ours(rel).error.insn == insn


def test_leak_context_names_the_reference() -> None:
    got = ours("references/two_refs_one_leaked.s")
    # each KF_ACQUIRE|KF_RET_NULL call takes two ids (a RET_NULL id, then the reference's):
    # the task is reference 2, the cgroup acquired at insn 5 is reference 4
    assert got.error.context == ("Unreleased reference id=4 alloc_insn=5",)
    assert EXPECTED["references/two_refs_one_leaked.s"]["context"] == list(got.error.context)


def test_reference_lifetime_shows_the_leak_on_the_leaking_path() -> None:
    got = ours("references/leak_on_one_branch.s")
    (cgroup,) = [lt for lt in got.references if lt.acquired_at == 1]
    assert cgroup.acquired_by == "bpf_cgroup_from_id"
    assert cgroup.leaked
    leaks = [e for e in cgroup.events if e.kind is RefEventKind.LEAKED]
    releases = [e for e in cgroup.events if e.kind is RefEventKind.RELEASED]
    assert [(e.insn, e.path_id) for e in leaks] == [(9, got.error.path_id)]
    assert [e.insn for e in releases] == [7]
    assert all(e.path_id != got.error.path_id for e in releases)
    assert got.path(got.error.path_id).end_insn == 9


def test_released_reference_has_no_leak() -> None:
    got = ours("references/release_on_every_path_ok.s")
    (task,) = got.references
    assert not task.leaked
    assert {e.insn for e in task.events if e.kind is RefEventKind.RELEASED} == {7, 10}


def test_collect_all_lists_both_bugs() -> None:
    got = _verify("references/two_bugs_leak_and_null_deref.s", collect_all=True)
    assert got.error.message == EXPECTED["references/two_bugs_leak_and_null_deref.s"]["error"]
    found = sorted((d.insn, d.message) for d in got.rejected)
    assert found == [(7, "R6 invalid mem access 'ptr_or_null_'"),
                     (11, "BPF_EXIT instruction in main prog would lead to reference leak")]
    assert len({d.path_id for d in got.rejected}) == 2


def test_precision_keeps_the_unsafe_k_path_from_being_pruned() -> None:
    join = 10  # the "cast:" label, where both arms meet with different btf_id__k constants
    unsafe = ours("k/two_paths_small_and_big.s")
    assert not any(p.insn == join for p in unsafe.prune_events)
    same = ours("k/two_paths_same_constant_ok.s")
    assert [p.insn for p in same.prune_events] == [join]


# --- the running kernel, asked now ------------------------------------------------------------

@functools.cache
def _refresh_script() -> Any:
    path = HERE.parent.parent / "scripts" / "refresh_expectations.py"
    spec = importlib.util.spec_from_file_location("refresh_expectations", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


AVAILABLE, WHY = kernel_available()


@functools.cache
def _kernel_now(rel: str) -> dict[str, Any]:
    record: dict[str, Any] = _refresh_script().kernel_record(PROGRAMS / rel)
    return record


def _ours_live(rel: str, profile: Any) -> VerificationResult:
    path = PROGRAMS / rel
    with _time_limit(TIME_LIMIT_S):
        return verify(parse_program(path.read_text(), str(path)), btf="live", profile=profile)


@pytest.mark.kernel
@pytest.mark.skipif(not AVAILABLE, reason=WHY)
@pytest.mark.parametrize("rel", FILES)
def test_running_kernel_agrees(rel: str, live_profile: Any) -> None:
    want = _kernel_now(rel)
    got = _ours_live(rel, live_profile)
    err = got.error
    assert (got.verdict.value, err.message if err else None) == (want["verdict"], want["error"])
    if want["verdict"] == "reject" and err is not None:
        assert list(err.context) == want["context"]
        if want["insn"] is not None:
            assert err.insn == want["insn"]
    if want["processed_insns"] is not None:
        s = got.stats
        assert (s.processed_insns, s.total_states, s.peak_states) == (
            want["processed_insns"], want["total_states"], want["peak_states"])
