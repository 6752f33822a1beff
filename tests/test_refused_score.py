"""The selftests programs this kernel refuses before verification (fentry/fexit/fmod_ret/lsm),
scored against the selftests' own annotations by scripts/refused_score.py.

The objects and the kernel's answers come from the corpus build (tests/test_selftests_corpus.py
builds them; here they are only read): skipped where they are missing. Raise the floors when
kfunclab gets further; never lower them.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import refused_score  # noqa: E402

#: reached on 6.18.44: annotated verdicts 54/54, all 79/79, __msg in log 39/43; minus a margin
VERDICT_FLOOR = 0.95
MSG_FLOOR = 0.85


def test_parser_reads_annotations_and_program_macros():
    text = '''
    /* SEC("not/this") */
    struct { int x; } m SEC(".maps");
    SEC("lsm/file_open")
    __description("two parts") __failure
    __msg("first " "second")  // a comment with __msg("no")
    __regex("R[0-9]")
    int BPF_PROG(prog_a, struct file *f)
    { return 0; }

    SEC("fentry/x") __success
    __naked int prog_b(void *ctx) { asm volatile ("r0 = 0; exit;"); }

    int helper(void) { return 1; }
    '''
    found = refused_score.parse_annotations(text)
    assert set(found) == {"prog_a", "prog_b"}
    assert found["prog_a"] == refused_score.Annotations("failure", ("first second", "R[0-9]"),
                                                        True)
    assert found["prog_b"].expect == "success" and found["prog_b"].msgs == ()


def test_msgs_are_matched_in_order():
    log = "a\nb\nc\n"
    assert refused_score.msgs_in_log(("a", "c"), log)
    assert not refused_score.msgs_in_log(("c", "a"), log)


def _corpus() -> tuple[Path, dict]:
    """The objects and the kernel's answers: $KFL_SELFTESTS_OBJ (or the cache of
    tests/test_selftests_corpus.py) with expected.json or its expected-RELEASE.json."""
    dirs = [Path(os.environ["KFL_SELFTESTS_OBJ"])] if "KFL_SELFTESTS_OBJ" in os.environ else [
        Path(f"/tmp/kfl-selftests-obj-{os.getuid()}"), Path("/work/selftests-obj")]
    found = [(d, f) for d in dirs
             for f in (d / "expected.json", d / f"expected-{os.uname().release}.json")
             if f.is_file()]
    if not found:
        pytest.skip(f"no selftests objects with the kernel's answers in {dirs[0]}")
    obj, expected = found[0]
    if shutil.which("clang-16") is None and not any(obj.glob("*.bpf.o")):
        pytest.skip("clang-16 is not installed and no objects are built")
    if not refused_score.SRC.is_dir():
        pytest.skip(f"no selftests sources at {refused_score.SRC}")
    return obj, json.loads(expected.read_text())


def test_refused_programs_agree_with_their_annotations():
    obj, expected = _corpus()
    if not refused_score.refused_programs(expected):
        pytest.skip("this kernel refuses no program before verification")
    rows = refused_score.score(obj, expected)
    figures = refused_score.figures(rows)
    agree, judged = figures["verdict (annotated)"]
    assert agree >= VERDICT_FLOOR * judged, "\n".join(refused_score.table(rows, True))
    in_log, with_msg = figures["__msg in log, in order"]
    assert in_log >= MSG_FLOOR * with_msg, "\n".join(refused_score.table(rows, True))
    unsound = [r for r in rows if r.expect == "reject" and r.verdict == "accept"]
    assert not unsound, unsound
