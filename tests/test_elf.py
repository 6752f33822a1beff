"""BPF ELF objects: a small C file compiled with clang, read and verified program by program."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kfunclab.btf import load_btf
from kfunclab.elf import ObjectError, is_elf, object_programs, verify_object
from kfunclab.elf.btfext import read_btf_ext
from kfunclab.errors import BtfError
from kfunclab.isa.insn import Imm64Kind, Load, LoadImm64

CLANG = os.environ.get("CLANG") or next(
    (c for c in ("clang-16", "clang", "clang-18", "clang-17", "clang-15", "clang-14")
     if shutil.which(c)), None)

SOURCE = r"""
typedef unsigned int __u32;
typedef unsigned long long __u64;
#define SEC(n) __attribute__((section(n), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
struct { __uint(type, 2); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); }
    counts SEC(".maps");
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *) 1;
const volatile int limit = 3;
int hits;
struct task_struct { int pid; } __attribute__((preserve_access_index));

static __attribute__((noinline)) int twice(int x) { return x * 2; }

SEC("xdp") int good(void *ctx)
{
    __u32 k = 0;
    __u64 *v = bpf_map_lookup_elem(&counts, &k);
    if (v)
        *v += 1;
    hits += twice(limit);
    return 2;
}

SEC("xdp") int bad(void *ctx)
{
    __u32 k = 1;
    __u64 *v = bpf_map_lookup_elem(&counts, &k);
    *v += 1;
    return 2;
}

SEC("xdp") int ro(void *ctx)
{
    *(volatile int *)&limit = 1;
    return 2;
}

SEC("tp_btf/task_newtask") int core(__u64 *ctx)
{
    struct task_struct *t = (void *)ctx[0];
    return t->pid;
}

char _license[] SEC("license") = "GPL";
"""


@pytest.fixture(scope="module")
def obj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if CLANG is None:
        pytest.skip("no clang on PATH (apt-get install clang-16)")
    work = tmp_path_factory.mktemp("elf")
    (work / "prog.c").write_text(SOURCE)
    done = subprocess.run([CLANG, "-target", "bpf", "-O2", "-g", "-c", "prog.c", "-o",
                           "prog.bpf.o"], cwd=work, capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"{CLANG} could not compile the test program: {done.stderr[-300:]}")
    return work / "prog.bpf.o"


@pytest.fixture(scope="module")
def results(obj: Path) -> dict:
    return {r.program: r for r in verify_object(obj, btf="auto", log_level=1)}


def test_every_program_is_read_with_its_section_and_type(results: dict) -> None:
    assert sorted(results) == ["bad", "core", "good", "ro"]
    assert results["good"].section == "xdp"
    assert results["good"].prog_type == "BPF_PROG_TYPE_XDP"
    assert results["core"].prog_type == "BPF_PROG_TYPE_TRACING"


def test_map_lookup_global_data_and_subprogram_are_accepted(results: dict) -> None:
    assert results["good"].verdict == "accept", results["good"].result.error


def test_null_map_value_is_rejected_with_the_kernels_message(results: dict) -> None:
    r = results["bad"].result
    assert r.verdict.value == "reject"
    assert r.error.message == "R0 invalid mem access 'map_value_or_null'"


def test_a_store_into_rodata_is_forbidden(results: dict) -> None:
    assert results["ro"].result.error.message == \
        "write into map forbidden, value_size=4 off=0 size=4"


def test_the_log_shows_c_source_lines(results: dict) -> None:
    log = results["bad"].result.log
    assert "; *v += 1; @ prog.c:" in log


def test_global_data_loads_are_map_value_pointers_with_offsets(obj: Path) -> None:
    progs = {p.name: p.program for p in object_programs(obj, load_btf("auto"))}
    good = progs["good"]
    values = [i for i in good.insns if isinstance(i, LoadImm64) and i.kind is Imm64Kind.MAP_VALUE]
    assert {i.map_name for i in values} >= {".rodata", ".bss"}
    assert "twice" in good.func_names.values()
    assert any(line[0] == "prog.c" for line in good.c_lines.values())


def test_core_field_offset_is_the_kernels(obj: Path) -> None:
    btf = load_btf("auto")
    prog = {p.name: p.program for p in object_programs(obj, btf)}["core"]
    pid = next(m for m in btf.struct_members(btf.struct_id("task_struct")) if m.name == "pid")
    loads = [i for i in prog.insns if isinstance(i, Load) and i.off]
    assert [i.off for i in loads] == [pid.byte_offset]


def test_cli_prints_one_json_line_per_program(obj: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "kfunclab.cli", "verify", "--json", str(obj)],
                         capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["program"] for r in records] == ["good", "bad", "ro", "core"]
    assert {r["verdict"] for r in records} == {"accept", "reject"}
    assert all(r["file"] == str(obj) for r in records)


def test_not_an_object_is_an_error_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.o"
    bad.write_bytes(b"\x7fELF" + b"\0" * 12)
    assert is_elf(bad)
    with pytest.raises(ObjectError, match=r"x\.o"):
        verify_object(bad)


def test_btf_ext_rejects_a_bad_magic() -> None:
    with pytest.raises(BtfError, match="magic"):
        read_btf_ext(b"\0" * 32, lambda off: "")


def test_cli_compare_log_of_one_program_of_an_object(obj: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """``--compare-log`` takes an object too: ``--program`` names the program the log is of."""
    from kfunclab.cli import main

    (bad,) = [r for r in verify_object(obj, btf="bundled", log_level=2) if r.program == "bad"]
    log = tmp_path / "k.log"
    log.write_text(bad.result.log)
    assert main(["verify", "--btf", "bundled", "--compare-log", str(log), "--program", "bad",
                 str(obj)]) == 0
    assert "first difference" not in capsys.readouterr().out  # the same walk, step for step
    assert main(["verify", "--btf", "bundled", "--compare-log", str(log), str(obj)]) == 2
    assert "--program NAME" in capsys.readouterr().err
