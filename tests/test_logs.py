"""kfunclab.logs: reading a kernel verifier log back into a result the views draw.

The unit tests read kfunclab's own logs (the same format, byte for byte on most programs) and
hand-written fragments; the live tests ask the running kernel for its level-2 log of every shared
case and check the error, the error instruction, the counts, and the states step by step.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kfunclab.errors import KfunclabError
from kfunclab.isa.parser import parse_file, parse_program
from kfunclab.logs import compare_logs, read_log
from kfunclab.logs.lines import LineKind, classify
from kfunclab.logs.states import parse_state
from kfunclab.verifier import verify
from kfunclab.verifier.result import PathEnd, RefEventKind

SHARED = next((p for p in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared"))
               if p.is_dir()), Path("../shared"))
CASES = sorted((SHARED / "cases").glob("**/*.s"))

LEAK = """\
# SEC("syscall")
\tr1 = 1
\tcall bpf_cgroup_from_id
\tif r0 == 0 goto out
\tr6 = r0                   # leak: never released
out:
\tr0 = 0
\texit
"""

RELEASE = """\
# SEC("syscall")
\tr1 = 1
\tcall bpf_cgroup_from_id
\tif r0 == 0 goto out
\tr1 = r0
\tcall bpf_cgroup_release
out:
\tr0 = 0
\texit
"""

SUMMARY = ("processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 1 "
           "peak_states 1 mark_read 0")


def own(text: str, level: int = 2):
    return verify(parse_program(text, "t.s"), btf="bundled", log_level=level)


# --- lines and states -------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "kind"), [
    ("func#0 @0", LineKind.FUNC),
    ("Live regs before insn:", LineKind.LIVE_HEADER),
    ("      0: .1........ (b7) r1 = 1", LineKind.LIVE_ROW),
    ("  1   2: 0.......8. (0f) r0 += r8", LineKind.LIVE_ROW),
    ("0: R1=ctx() R10=fp0", LineKind.STATE),
    ("0: (b7) r1 = 1                        ; R1=1", LineKind.INSN),
    ("18: (95) exit", LineKind.INSN),
    ("from 14 to 17: R7=ptr_cgroup(ref_obj_id=5) R10=fp0 refs=5", LineKind.FROM),
    ("from 15 to 18: safe", LineKind.FROM_SAFE),
    ("17: safe", LineKind.SAFE),
    ("mark_precise: frame0: regs=r3 stack= before 13: (bf) r1 = r6", LineKind.PRECISE),
    ("; return 0; @ prog.c:12", LineKind.SOURCE),
    ("Unreleased reference id=5 alloc_insn=8", LineKind.UNRELEASED),
    (SUMMARY, LineKind.SUMMARY),
    ("(0) frame 0 insn 14 +live -8,-16 ", LineKind.STACK_LIVE),
    ("Validating foo() func#1...", LineKind.VALIDATING),
    ("R3 !read_ok", LineKind.TEXT),
    ("BPF_EXIT instruction in main prog would lead to reference leak", LineKind.TEXT),
])
def test_each_line_form_is_recognised(line: str, kind: LineKind) -> None:
    assert classify(1, line).kind is kind


def test_state_items_keep_spaces_inside_parentheses() -> None:
    s = parse_state(" R9=scalar(smin=0,var_off=(0x0; 0x1)) frame1: fp-8=mmmmmmmm refs=2,5")
    assert s.regs == {"R9": "scalar(smin=0,var_off=(0x0; 0x1))"}
    assert (s.stack, s.refs, s.frameno) == ({"fp-8": "mmmmmmmm"}, (2, 5), 1)


def test_a_level1_rewind_join_is_an_instruction_then_a_state() -> None:
    line = classify(1, "14: (55) if r9 != 0x0 goto pc+2 17: R7=ptr_cgroup(ref_obj_id=5) R10=fp0")
    assert line.kind is LineKind.INSN
    assert (line.fields["text"], line.fields["joined_insn"]) == ("(55) if r9 != 0x0 goto pc+2", 17)


# --- kfunclab's own logs read back -----------------------------------------------------------

def test_own_leak_log_reads_back_as_the_same_result() -> None:
    result = own(LEAK)
    log = read_log(result.log)
    assert log.verdict is result.verdict
    assert (log.error.insn, log.error.message) == (result.error.insn, result.error.message)
    assert log.error.context == result.error.context
    assert log.stats == result.stats
    assert log.unparsed == ()
    assert not log.truncated
    [ref] = log.references
    assert ref.leaked and ref.acquired_by == "bpf_cgroup_from_id" and ref.acquired_at == 1
    assert [p.end for p in log.paths][-1] is PathEnd.REJECTED


def test_release_is_seen_from_the_refs_list() -> None:
    log = read_log(own(RELEASE).log)
    assert log.accepted and log.error is None
    [ref] = log.references
    kinds = [e.kind for e in ref.events]
    assert RefEventKind.ACQUIRED in kinds and RefEventKind.RELEASED in kinds
    released = next(e for e in ref.events if e.kind is RefEventKind.RELEASED)
    assert (released.insn, released.where) == (4, "R1")


def test_states_carry_over_between_printed_registers() -> None:
    log = read_log(own(RELEASE).log)
    step = log.paths[0].steps[3]  # 3: r1 = r0 prints R0 and R1; R10 was printed at entry
    assert step.insn == 3
    assert step.state.live_regs()["R10"] == "fp0"
    assert step.state.live_regs()["R1"].startswith("ptr_cgroup(ref_obj_id=")
    assert "R10" not in step.state.seen
    after_call = log.paths[0].steps[4].state  # the release call: R1-R5 clobbered
    assert "R1" not in after_call.live_regs() and after_call.refs == ()


def test_the_cfg_is_rebuilt_from_the_printed_instructions() -> None:
    result = own(LEAK)
    log = read_log(result.log)
    assert log.program.insns == result.program.insns
    assert log.visits == result.visits


def test_a_log_cut_before_its_summary_says_it_is_truncated() -> None:
    text = own(LEAK).log
    cut = read_log(text[: text.index("Unreleased")])
    assert cut.truncated and cut.error is None and not cut.accepted
    assert "truncated" in cut.notes[0] and "no summary line" in cut.notes[0]
    assert cut.to_json()["verdict"] == "unknown"


def test_a_log_whose_start_was_rotated_away_says_so() -> None:
    text = own(LEAK).log
    tail = text[text.index("3: (bf)"):]
    log = read_log(tail)
    assert log.truncated and "rotated away" in log.notes[0]
    assert log.error.message.endswith("reference leak")


def test_unknown_lines_are_kept_with_their_numbers() -> None:
    text = own(RELEASE).log.replace("func#0 @0", "func#0 @0\nsomething new in 7.1")
    log = read_log(text)
    assert log.unparsed == ((2, "something new in 7.1"),)
    assert log.accepted


def test_compare_logs_finds_the_first_register_that_differs() -> None:
    text = own(RELEASE).log
    assert compare_logs(read_log(text), read_log(text)) is None
    changed = text.replace("; R1=1\n", "; R1=2\n", 1)
    diff = compare_logs(read_log(changed), read_log(text))
    assert (diff.insn, diff.what, diff.kernel, diff.kfunclab) == (0, "R1", "2", "1")


def test_logs_do_not_import_views_or_the_kernel() -> None:
    code = ("import sys, kfunclab.logs; print(sorted(m for m in sys.modules if m.split('.')[0] "
            "in ('matplotlib', 'ipywidgets') or m.startswith(('kfunclab.viz', 'kfunclab.widgets',"
            " 'kfunclab.kernel'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


# --- the CLI ----------------------------------------------------------------------------------

def test_cli_log_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kfunclab.cli import main

    path = tmp_path / "leak.log"
    path.write_text(own(LEAK).log.replace("func#0 @0\n", "func#0 @0\nweird line\n"))
    status = main(["log", "--json", str(path)])
    record = json.loads(capsys.readouterr().out)
    assert status == 1
    assert record["verdict"] == "reject"
    assert record["error"] == "BPF_EXIT instruction in main prog would lead to reference leak"
    assert record["insn"] == 5 and record["processed_insns"] > 0
    assert {"total_states", "peak_states"} <= set(record)
    assert [u["text"] for u in record["unparsed"]] == ["weird line"]


def test_cli_log_human(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kfunclab.cli import main

    path = tmp_path / "ok.log"
    path.write_text(own(RELEASE).log)
    assert main(["log", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: accept") and "bpf_cgroup_from_id: passed, released" in out


def test_cli_compare_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kfunclab.cli import main

    prog = tmp_path / "p.s"
    prog.write_text(RELEASE)
    log = tmp_path / "k.log"
    log.write_text(own(RELEASE).log.replace("; R1=1\n", "; R1=7\n", 1))
    main(["verify", "--btf", "bundled", "--compare-log", str(log), str(prog)])
    out = capsys.readouterr().out
    assert "first difference at step 0" in out and "R1 differs" in out
    assert "kernel:   7" in out and "kfunclab: 1" in out


# --- the live kernel ---------------------------------------------------------------------------

def _kernel():
    from kfunclab.kernel import kernel_available

    return kernel_available()


def _case(path: Path):
    try:
        return parse_file(path)
    except KfunclabError as exc:
        pytest.skip(f"{path.name}: kfunclab cannot read it yet: {exc}")


@pytest.fixture(scope="module")
def live():
    ok, why = _kernel()
    if not ok:
        pytest.skip(why)
    from kfunclab.kernel import kernel_verdict

    return kernel_verdict


@pytest.mark.kernel
@pytest.mark.parametrize("level", [2, 1])
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_kernel_log_gives_its_error_insn_and_counts(path: Path, level: int, live) -> None:
    program = _case(path)
    try:
        kv = live(program, log_level=level)
    except KfunclabError as exc:
        pytest.skip(f"the kernel cannot be asked about {path.name}: {exc}")
    if kv.verdict == "error":
        pytest.skip(f"{path.name}: refused before verification: {kv.error}")
    log = read_log(kv.log, section=program.section, errno=kv.errno)
    assert log.verdict.value == kv.verdict
    assert (log.error.message if log.error else None) == kv.error
    assert log.stats.processed_insns == kv.processed_insns
    assert (log.stats.total_states, log.stats.peak_states) == (kv.total_states, kv.peak_states)
    assert log.unparsed == ()
    assert not log.truncated
    if log.error is not None:
        # the failing instruction: the last instruction line the kernel printed before its error
        before = kv.log[:kv.log.rindex(log.error.message)]
        printed = [int(m) for m in re.findall(r"^(\d+): (?:\(|<)", before, re.M)]
        assert log.error.insn == (printed[-1] if printed else None)
    mine = verify(program, log_level=level)
    if log.error is not None and mine.error is not None and log.paths \
            and mine.error.message == log.error.message:
        assert log.error.insn == mine.error.insn


@pytest.mark.kernel
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_states_equal_kfunclabs_where_the_logs_are_identical(path: Path, live) -> None:
    """Each register and slot the kernel printed at a step, and the references held, equal
    kfunclab's own snapshot at that step, for every step inside the logs' identical prefix."""
    program = _case(path)
    try:
        kv = live(program, log_level=2)
    except KfunclabError as exc:
        pytest.skip(f"the kernel cannot be asked about {path.name}: {exc}")
    mine = verify(program, log_level=2)
    kernel = read_log(kv.log)
    klines, olines = kv.log.rstrip("\n").split("\n"), mine.log.rstrip("\n").split("\n")
    same = next((n for n, (a, b) in enumerate(zip(klines, olines, strict=False)) if a != b),
                min(len(klines), len(olines)))
    ksteps = [(p.id, i, s) for p in kernel.paths for i, s in enumerate(p.steps)]
    osteps = [s for p in mine.paths for s in p.steps]
    checked = 0
    for (pid, i, ks), os_ in zip(ksteps, osteps, strict=False):
        if kernel.step_lines[(pid, i)] > same:
            break
        assert ks.insn == os_.insn
        regs, stack = os_.state.live_regs(), os_.state.stack_text()
        for name in ks.state.seen:
            theirs = regs.get(name) if name.startswith("R") else stack.get(name)
            assert ks.state.live_regs().get(name, ks.state.stack_text().get(name)) == theirs, \
                (ks.insn, name)
        assert [r.id for r in ks.state.refs] == [r.id for r in os_.state.refs
                                                  if r.id and r.kind.value != "lock"]
        checked += 1
    if ksteps and same == len(klines) == len(olines):
        assert checked == len(ksteps)


# --- the %%bpf_log magic -----------------------------------------------------------------------

def test_bpf_log_magic_shows_the_result_and_pictures() -> None:
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "kfunclab")
    try:
        with capture_output() as cap:
            ip.run_cell_magic("bpf_log", "syscall --name mine", own(LEAK).log)
        assert cap.stderr == ""
        out = [o.data for o in cap.outputs]
        result = ip.user_ns["_bpf_log"]
        assert ip.user_ns["mine"] is result and result.error.insn == 5
        assert out[0]["text/plain"].startswith("<LogResult reject: insn 5: BPF_EXIT")
        assert "would lead to reference leak" in out[0]["text/html"]
        assert len(out) == 3 and all("image/png" in o for o in out[1:])  # lifetimes, CFG
    finally:
        ip.run_line_magic("unload_ext", "kfunclab")


# --- notebook 12's exercise, on the stored log ------------------------------------------------

@pytest.fixture(scope="module")
def stored():
    from kfunclab.logs import stored_log

    return read_log(stored_log(), section="syscall")


def test_the_stored_log_reads_completely(stored) -> None:
    assert stored.unparsed == () and not stored.truncated
    assert stored.error.message.endswith("would lead to reference leak")
    assert [life.leaked for life in stored.references] == [False, True]


def test_exercise_right_answer_passes(stored) -> None:
    from kfunclab.logs.exercise import check_log_reading

    leaked = next(life for life in stored.references if life.leaked)
    failing = stored.path(stored.error.path_id)
    answer = {"ref": leaked.ref_id, "acquired_at": leaked.acquired_at,
              "branch": (failing.branch_insn, failing.start_insn)}
    assert check_log_reading(answer, stored)


@pytest.mark.parametrize(("change", "hint"), [
    ({"ref": "released"}, "was given back at insn"),
    ({"ref": 99}, "no state of this log holds ref id=99"),
    ({"acquired_at": 1}, "alloc_insn"),
    ({"branch": (2, 18)}, "the last 'from X to Y:'"),
    ({"branch": "15 to 18"}, "the last 'from X to Y:'"),
])
def test_exercise_wrong_answers_say_what_to_look_at(stored, change, hint) -> None:
    from kfunclab.logs.exercise import check_log_reading

    leaked = next(life for life in stored.references if life.leaked)
    released = next(life for life in stored.references if not life.leaked)
    failing = stored.path(stored.error.path_id)
    answer = {"ref": leaked.ref_id, "acquired_at": leaked.acquired_at,
              "branch": (failing.branch_insn, failing.start_insn)}
    answer.update({k: released.ref_id if v == "released" else v for k, v in change.items()})
    feedback = check_log_reading(answer, stored)
    assert not feedback and "2 of 3 right" in feedback.summary
    assert any(hint in d for d in feedback.details)


def test_exercise_answer_must_be_a_dict(stored) -> None:
    from kfunclab.logs.exercise import check_log_reading

    assert not check_log_reading([5, 8], stored)  # type: ignore[arg-type]


# --- every program of kfunclab's own test corpus, through its own log -------------------------

OWN_PROGRAMS = sorted((Path(__file__).resolve().parent).glob("**/*.s"))


def test_own_logs_of_the_test_corpus_read_back_completely() -> None:
    """kfunclab writes the kernel's format: reading its level-2 log back gives its verdict,
    message, failing instruction and count, with no line left unread."""
    checked = 0
    for path in OWN_PROGRAMS:
        try:
            result = verify(parse_file(path), btf="bundled", log_level=2)
        except KfunclabError:
            continue
        if result.verdict.value == "unsupported":
            continue
        log = read_log(result.log)
        assert (log.verdict, log.stats.processed_insns, log.unparsed, log.truncated) == \
            (result.verdict, result.stats.processed_insns, (), False), path.name
        if result.error is not None:
            assert log.error.message == result.error.message, path.name
            if log.paths and result.error.insn is not None:  # None: refused after the walk
                assert log.error.insn == result.error.insn, path.name
        checked += 1
    assert checked > 100


# a 6.18 level-2 log of a bpf-to-bpf call (tests/programs/subprog_add_one.s), as input
SUBPROG_LOG = """\
func#0 @0
func#1 @5
Live regs before insn:
      0: ..2345.... (b7) r1 = 5
      1: .12345.... (85) call pc+3
      2: 0......... (25) if r0 > 0xa goto pc+1
      3: .......... (b7) r0 = 0
      4: 0......... (95) exit
      5: .1........ (bf) r0 = r1
      6: 0......... (07) r0 += 1
      7: 0......... (95) exit
0: R1=ctx() R10=fp0
0: (b7) r1 = 5                        ; R1=5
1: (85) call pc+3
caller:
 R10=fp0
callee:
 frame1: R1=5 R10=fp0
5: frame1: R1=5 R10=fp0
5: (bf) r0 = r1                       ; frame1: R0=5 R1=5
6: (07) r0 += 1                       ; frame1: R0=6
7: (95) exit
returning from callee:
 frame1: R0=6 R1=5 R10=fp0
to caller at 2:
 R0=6 R10=fp0

from 7 to 2: R0=6 R10=fp0
2: (25) if r0 > 0xa goto pc+1
mark_precise: frame0: last_idx 2 first_idx 0 subseq_idx -1\x20
mark_precise: frame0: regs=r0 stack= before 7: (95) exit
2: R0=6
3: (b7) r0 = 0                        ; R0=0
4: (95) exit
processed 8 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0
"""


def test_a_subprogram_call_is_read_with_its_frames() -> None:
    log = read_log(SUBPROG_LOG)
    assert log.unparsed == () and log.subprogs == ((0, 0), (1, 5)) and log.accepted
    inside = next(s for p in log.paths for s in p.steps if s.insn == 6)
    assert inside.state.frameno == 1 and inside.state.live_regs()["R0"] == "6"
    returned = next(s for p in log.paths for s in p.steps if s.insn == 7)
    assert returned.state.frameno == 0 and returned.state.live_regs() == {"R0": "6", "R10": "fp0"}
    assert [len(p.steps) for p in log.paths] == [5, 3] and log.stats.processed_insns == 8
    assert len(log.precise) == 2


def test_an_empty_log_with_an_errno_is_refused_before_verification() -> None:
    log = read_log("", errno=1)
    assert log.error.message == "errno 1 (EPERM), empty verifier log" and not log.accepted


def test_only_the_front_ends_import_logs() -> None:
    code = ("import sys, kfunclab.verifier, kfunclab.viz, kfunclab.kernel; "
            "print(any(m.startswith('kfunclab.logs') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"

