"""The lazy level-2 log prints the bytes the eager one prints, and formats only what it keeps.

At level 2 :class:`~kfunclab.verifier.log.KernelLog` defers the state lines and the
backtracking trace (``mark_precise: ...``) and formats, at the end, only the items the
kernel's rotating buffer still holds. These tests run every program of the rule corpus and of
the shared cases both ways (``lazy=False`` is the byte buffer level 1 uses) with the real
buffer and with small ones that truncate, and compare the log text, the truncation note and
the counters; a loop checks that the trace lines pushed out of a small buffer are never
formatted; and a walk leaves no reference cycles behind (the collector is paused during it).
"""

from __future__ import annotations

import functools
import gc
from pathlib import Path

import pytest

import kfunclab.verifier.explore as explore
import kfunclab.verifier.precision as precision
from kfunclab.isa.parser import parse_program
from kfunclab.verifier import verify, verify_text
from kfunclab.verifier.gcpause import paused_cyclic_gc
from kfunclab.verifier.log import LOG_TRUNCATED_NOTE, KernelLog

HERE = Path(__file__).resolve().parent
SHARED_CASES = Path("/work/shared/cases")
PROGRAMS = sorted((HERE / "verifier" / "programs").rglob("*.s"))
if SHARED_CASES.is_dir():
    PROGRAMS += sorted(SHARED_CASES.rglob("*.s"))

LOOP = ('# SEC("tc")\n  r1 = 0\nl:\n  r1 += 1\n  if r1 < {n} goto l\n  r0 = 0\n  exit\n')
#: spills and fills on the loop's path: the trace walks stack slots and the states print them
SPILL_LOOP = ('# SEC("tc")\n  r1 = 0\n  *(u64 *)(r10 - 8) = r1\nl:\n  r2 = *(u64 *)(r10 - 8)\n'
              '  r2 += 1\n  *(u64 *)(r10 - 8) = r2\n  if r2 < {n} goto l\n  r0 = 0\n  exit\n')


def _both(monkeypatch: pytest.MonkeyPatch, run, size: int | None = None):
    """``run()`` with the lazy (default) level-2 log and with the eager byte buffer."""
    out = []
    for lazy in (True, False):
        with monkeypatch.context() as m:
            options = {"lazy": lazy} if size is None else {"lazy": lazy, "size": size}
            m.setattr(explore, "KernelLog", functools.partial(KernelLog, **options))
            out.append(run())
    return out


def _same(lazy, eager) -> None:
    assert lazy.log == eager.log
    assert lazy.notes == eager.notes
    assert lazy.verdict == eager.verdict and lazy.stats == eager.stats


@pytest.mark.parametrize("size", [None, 300, 4096], ids=["16MiB", "300B", "4KiB"])
def test_lazy_log_equals_eager_on_every_program(monkeypatch: pytest.MonkeyPatch,
                                                size: int | None) -> None:
    assert len(PROGRAMS) > 50
    logged = 0
    for path in PROGRAMS:
        program = parse_program(path.read_text(), str(path))

        def run(program=program):
            return verify(program, btf="bundled", log_level=2)

        lazy, eager = _both(monkeypatch, run, size)
        _same(lazy, eager)
        logged += bool(lazy.log)
        if size == 300 and len(eager.log) > 400:  # the 300-byte tail and the summary line
            assert LOG_TRUNCATED_NOTE in lazy.notes
    assert logged > 50


@pytest.mark.parametrize("program", [LOOP, SPILL_LOOP], ids=["loop", "spill-loop"])
@pytest.mark.parametrize("size", [64, 1000, 1 << 16])
def test_lazy_log_equals_eager_on_loops(monkeypatch: pytest.MonkeyPatch, program: str,
                                        size: int) -> None:
    text = program.format(n=300)
    lazy, eager = _both(monkeypatch, lambda: verify_text(text, "loop.s", btf="bundled",
                                                         log_level=2), size)
    _same(lazy, eager)
    assert "mark_precise: frame0: regs=r" in eager.log or size < 1000
    assert LOG_TRUNCATED_NOTE in lazy.notes


def test_trace_lines_outside_the_buffer_are_never_formatted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    formatted = []
    original = precision._trace_segment

    def counting(*args):
        formatted.append(args[-1])
        return original(*args)

    monkeypatch.setattr(precision, "_trace_segment", counting)
    walked = []
    original_defer = KernelLog.defer

    def deferring(self, lower_bound, fn, *args):
        if fn is counting:
            walked.append(args[-1])
        return original_defer(self, lower_bound, fn, *args)

    monkeypatch.setattr(KernelLog, "defer", deferring)
    monkeypatch.setattr(explore, "KernelLog", functools.partial(KernelLog, size=4096))
    result = verify_text(LOOP.format(n=2000), "loop.s", btf="bundled", log_level=2)
    assert result.verdict.value == "accept" and LOG_TRUNCATED_NOTE in result.notes
    # ~2000 backtracking walks were deferred; a 4 KiB buffer holds the lines of a few
    assert len(walked) > 1000
    assert 0 < len(formatted) < 20
    assert formatted[::-1] == walked[-len(formatted):]  # the newest ones, once each


def test_a_lazy_log_cannot_be_rewound() -> None:
    with pytest.raises(ValueError, match="level-1 log rewinds"):
        KernelLog(1, lazy=True)
    log = KernelLog(2)
    log.line("a")
    log.defer(1, lambda: "b\n")
    assert log.text() == "a\nb\n" and not log.truncated
    log.line("c")  # writing after reading: the text so far stays, the new line follows
    assert log.text() == "a\nb\nc\n"


def test_lazy_truncation_matches_the_kernels_rule_at_the_boundary() -> None:
    # the kernel keeps size - 1 bytes and answers ENOSPC once the log reaches size bytes
    for total in (62, 63, 64, 65):
        lazy, eager = KernelLog(2, size=64), KernelLog(2, size=64, lazy=False)
        for log in (lazy, eager):
            log.verbose("x" * (total - 1))
            log.defer(1, lambda: "\n")
        assert (lazy.text(), lazy.truncated) == (eager.text(), eager.truncated)
        assert lazy.truncated == (total >= 64)


def _cyclic_garbage(n: int, level: int) -> int:
    gc.collect()
    with paused_cyclic_gc():
        result = verify_text(SPILL_LOOP.format(n=n), "loop.s", btf="bundled",
                             log_level=level, max_recorded_steps=0)
        del result
        return gc.collect()


@pytest.mark.parametrize("level", [0, 1, 2])
def test_a_walk_leaves_no_reference_cycles(level: int) -> None:
    """The collector is paused during the walk (gcpause.py): that is only safe while the walk
    makes no cycles, which would otherwise pile up until the next collection. verify() leaves
    none today (a recursive closure in check_max_stack_depth was one: it held env, and with it
    the walk's whole recording); a walk 20 times longer must not leave one more."""
    _cyclic_garbage(5, level)  # warm the caches
    short, long = _cyclic_garbage(20, level), _cyclic_garbage(400, level)
    assert short == long < 200


def test_gc_pause_restores_the_callers_setting() -> None:
    assert gc.isenabled()
    with paused_cyclic_gc():
        assert not gc.isenabled()
        with paused_cyclic_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_cyclic_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
