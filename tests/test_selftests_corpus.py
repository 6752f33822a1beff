"""kfunclab on the Linux BPF selftests (../shared/selftests), judged by this machine's kernel.

The corpus is built with clang-16 (its build.sh), the running kernel's verdict on every program
is recorded with its load.py (root and bpf() needed), then every object is read and verified by
kfunclab in process and compared program by program, the way its score.py compares: the kernel
accepted or rejected N programs; kfunclab must agree on at least FLOOR of them, never accept one
the kernel rejects (unsound), and answer every one (a verdict or ``unsupported``, never a missing
line or an ``error``). Build and answers are cached in $KFL_SELFTESTS_OBJ (default
/tmp/kfl-selftests-obj-UID), the answers per kernel release.

Raise FLOOR when kfunclab gets further; never lower it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

SHARED = next((p for p in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared"))
               if p.is_dir()), Path("../shared"))
CORPUS = SHARED / "selftests"
#: verdict agreement reached on 6.18.44 (821 of 1115 programs, 73.6%, with the graph kfuncs)
#: minus a margin for another kernel build's answers
FLOOR = 0.95
OBJ_DIR = Path(os.environ.get("KFL_SELFTESTS_OBJ", f"/tmp/kfl-selftests-obj-{os.getuid()}"))
BUILD_DIR = Path(os.environ.get("KFL_SELFTESTS_BUILD", f"/tmp/kfl-selftests-build-{os.getuid()}"))


def _why_not() -> str | None:
    if not (CORPUS / "build.sh").is_file():
        return f"no selftests corpus at {CORPUS}"
    for tool in ("clang-16", "bpftool"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install clang-16 llvm-16 bpftool)"
    if os.geteuid() != 0:
        return "recording the kernel's answers needs root (bpf())"
    if not Path("/sys/kernel/btf/vmlinux").is_file():
        return "no kernel BTF (/sys/kernel/btf/vmlinux)"
    return None


def _objects() -> list[Path]:
    return sorted(OBJ_DIR.glob("*.bpf.o"))


def _build() -> None:
    expected = len([ln for ln in (CORPUS / "lists" / "progs.txt").read_text().splitlines()
                    if ln.strip() and not ln.startswith("#")])
    if len(_objects()) >= expected:
        return
    env = dict(os.environ, KFL_SELFTESTS_OBJ=str(OBJ_DIR), KFL_SELFTESTS_BUILD=str(BUILD_DIR))
    OBJ_DIR.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["./build.sh"], cwd=CORPUS, env=env, capture_output=True, text=True,
                          timeout=1800)
    if done.returncode or not _objects():
        pytest.fail(f"building the selftests failed: {done.stderr[-2000:]}")


def _kernel_answers() -> dict[str, dict]:
    out = OBJ_DIR / f"expected-{os.uname().release}.json"
    if not out.is_file():
        env = dict(os.environ, KFL_SELFTESTS_BUILD=str(BUILD_DIR))
        done = subprocess.run([sys.executable, "load.py", "--obj-dir", str(OBJ_DIR), "--out",
                               str(out)], cwd=CORPUS, env=env, capture_output=True, text=True,
                              timeout=1800)
        if done.returncode or not out.is_file():
            pytest.fail(f"recording the kernel's answers failed: {done.stderr[-2000:]}")
    return json.loads(out.read_text())


def _answers_of(path: Path) -> list[tuple[str, str, int]]:
    from kfunclab.cli import resolve_profile
    from kfunclab.elf import ObjectError, verify_object

    try:  # the running kernel's own profile: its build may differ from upstream 6.18
        results = verify_object(path, log_level=0, profile=resolve_profile("auto"))
    except ObjectError:
        return []  # no line for its programs: counted as unanswered below
    return [(f"obj/{path.name}:{r.program}", r.verdict,
             r.result.stats.processed_insns if r.result is not None else -1)
            for r in results]


def _kfunclab_answers(objects: list[Path]) -> dict[str, tuple[str, int]]:
    answers: dict[str, tuple[str, int]] = {}
    # biggest objects first, so the workers finish together
    objects = sorted(objects, key=lambda p: -p.stat().st_size)
    with ProcessPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        for pairs in pool.map(_answers_of, objects):
            for key, verdict, processed in pairs:
                answers.setdefault(key, (verdict, processed))
    return answers


@pytest.fixture(scope="module")
def corpus() -> tuple[dict[str, dict], dict[str, tuple[str, int]], float]:
    why = _why_not()
    if why:
        pytest.skip(why)
    _build()
    kernel = _kernel_answers()
    start = time.monotonic()
    ours = _kfunclab_answers(_objects())
    return kernel, ours, time.monotonic() - start


def test_kfunclab_agrees_with_the_kernel_on_the_selftests(corpus) -> None:
    kernel, ours, seconds = corpus
    judged = {k: v["verdict"] for k, v in kernel.items() if v["verdict"] in ("accept", "reject")}
    tally = Counter((want, ours.get(key, ("missing", 0))[0]) for key, want in judged.items())
    agree = tally["accept", "accept"] + tally["reject", "reject"]
    unsound = tally["reject", "accept"]
    unanswered = sum(n for (_, got), n in tally.items() if got in ("missing", "error"))
    summary = (f"verdict {agree}/{len(judged)} ({agree / len(judged):.1%}), unsound {unsound}, "
               f"unanswered {unanswered}, unsupported "
               f"{sum(n for (_, got), n in tally.items() if got == 'unsupported')}, "
               f"kfunclab time {seconds:.0f} s")
    print(summary)
    assert unsound == 0, summary
    assert unanswered == 0, summary
    assert agree / len(judged) >= FLOOR, summary


def test_processed_insns_are_the_kernels(corpus) -> None:
    """``processed N insns``: the walk itself, instruction for instruction (checkpoints, pruning,
    widening, global functions after the main program). 97.2% on the recording machine."""
    kernel, ours, _ = corpus
    both = {k: v["processed_insns"] for k, v in kernel.items()
            if v["verdict"] in ("accept", "reject") and v.get("processed_insns") is not None
            and ours.get(k, ("missing", 0))[0] == v["verdict"]}
    same = sum(ours[k][1] == n for k, n in both.items())
    assert same / len(both) >= 0.95, f"processed insns equal on {same}/{len(both)}"


def test_every_program_of_every_object_gets_a_line(corpus) -> None:
    kernel, ours, _ = corpus
    missing = sorted(k for k in kernel if k not in ours and "core_reloc" not in k)
    assert not missing, missing[:10]
