"""``verify --jobs N`` spreads the programs of one object over processes, printing what one
process prints: the same lines in the same order, the same exit status."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pytest

from kfunclab import cli

CLANG = next((c for c in ("clang-16", "clang", "clang-18", "clang-17", "clang-15", "clang-14")
              if shutil.which(c)), None)

SOURCE = r"""
#define SEC(name) __attribute__((section(name), used))
struct xdp_md { unsigned int data, data_end; };

static __attribute__((noinline)) int twice(int x) { return x * 2; }

SEC("xdp") int first(struct xdp_md *ctx) { return twice(1) == 2 ? 2 : 1; }

SEC("xdp") int second(struct xdp_md *ctx)
{
    int v;
    return v;  /* an uninitialised read: rejected */
}

SEC("xdp") int third(struct xdp_md *ctx)
{
    int i, s = 0;
    for (i = 0; i < 8; i++)
        s += i;
    return s & 2;
}

SEC("tc") int fourth(void *ctx) { return 0; }

char _license[] SEC("license") = "GPL";
"""


@pytest.fixture(scope="module")
def obj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if CLANG is None:
        pytest.skip("no clang on PATH (apt-get install clang-16)")
    work = tmp_path_factory.mktemp("jobs")
    (work / "progs.c").write_text(SOURCE)
    done = subprocess.run([CLANG, "-target", "bpf", "-O2", "-g", "-Wno-uninitialized", "-c",
                           "progs.c", "-o", "progs.bpf.o"], cwd=work, capture_output=True,
                          text=True)
    if done.returncode:
        pytest.skip(f"{CLANG} could not compile the test program: {done.stderr[-300:]}")
    return work / "progs.bpf.o"


def _run(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_jobs_split_an_object_into_groups_of_its_programs(obj: Path, tmp_path: Path) -> None:
    asm = tmp_path / "one.s"
    asm.write_text('# SEC("xdp")\n  r0 = 2\n  exit\n')
    args = argparse.Namespace(files=[str(asm), str(obj)], program=None, compare_log=None,
                              jobs=2)
    assert cli._verify_tasks(args) == [(str(asm), None), (str(obj), ("first", "second")),
                                       (str(obj), ("third", "fourth"))]
    args.jobs = 3
    assert cli._verify_tasks(args) == [(str(asm), None), (str(obj), ("first",)),
                                       (str(obj), ("second",)), (str(obj), ("third", "fourth"))]
    # --program keeps the object whole (one task: nothing to spread)
    args.program = "third"
    assert cli._verify_tasks(args) == [(str(asm), None), (str(obj), None)]


@pytest.mark.parametrize("extra", [["--json"], [], ["--log-level", "1"]],
                         ids=["json", "text", "log1"])
def test_jobs_2_prints_what_jobs_1_prints_for_an_object(obj: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture,
                                                         extra: list[str]) -> None:
    asm = tmp_path / "one.s"
    asm.write_text('# SEC("xdp")\n  r0 = 2\n  exit\n')
    argv = ["verify", "--btf", "bundled", "--profile", "linux-6.18", *extra,
            str(obj), str(asm), str(obj)]
    one = _run([*argv, "--jobs", "1"], capsys)
    for jobs in ("2", "3"):
        assert _run([*argv, "--jobs", jobs], capsys) == one
    assert one[0] == cli.EXIT_REJECT  # 'second' is rejected
    if extra == ["--json"]:
        assert len(one[1].splitlines()) == 9  # 4 programs, the .s file, 4 programs again
