"""Compiling BPF C (kfunclab.cc), ``kfunclab verify prog.bpf.c`` and the ``%%bpf_c`` magic.

clang and libbpf-dev are needed for the compile tests (they skip with a reason where missing);
the C -> verdict tests need kfunclab.elf (branch elf) too.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kfunclab import cc
from kfunclab.btf.testing import tiny_btf
from kfunclab.cli import main

HAVE_CLANG = any(shutil.which(n) for n in cc.CLANG_NAMES)
HAVE_LIBBPF = any((d / "bpf" / "bpf_helpers.h").is_file() for d in cc.LIBBPF_DIRS)
needs_clang = pytest.mark.skipif(not (HAVE_CLANG and HAVE_LIBBPF),
                                 reason="clang or libbpf-dev (bpf/bpf_helpers.h) is missing")

GOOD = """#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/task_newtask")
int handle(u64 *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx[0];
	struct task_struct *t = bpf_task_acquire(task);

	if (!t)
		return 0;
	bpf_task_release(t);
	return 0;
}
"""
LEAK = GOOD.replace("\tbpf_task_release(t);\n", "")  # the reference is never released
BAD = GOOD.replace("return 0;\n}", "return undeclared_x;\n}")
BAD_LINE = next(i for i, line in enumerate(BAD.splitlines(), 1) if "undeclared_x" in line)


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory):
    """One cache directory per module: vmlinux.h is written once."""
    with pytest.MonkeyPatch.context() as mp:
        # one directory for the session's modules: vmlinux.h is written once
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        yield


def test_missing_clang_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.delenv("CLANG", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(cc.ToolError, match=r"clang not found: install clang \(Debian: "
                                           r"apt-get install clang\) or set CLANG"):
        cc.find_clang()
    monkeypatch.setenv("CLANG", "/nonexistent/clang-99")
    with pytest.raises(cc.ToolError, match="CLANG=/nonexistent/clang-99 is not an executable"):
        cc.find_clang()


def test_missing_libbpf_headers_name_the_package(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(cc, "LIBBPF_DIRS", (tmp_path,))
    with pytest.raises(cc.ToolError, match=r"install libbpf-dev \(Debian: apt-get install "
                                           r"libbpf-dev\)"):
        cc.libbpf_include()


def test_clang_diagnostics_become_file_line_col() -> None:
    stderr = ("/tmp/x/cell.bpf.c:4:2: warning: unused variable 'y'\n"
              "/tmp/x/cell.bpf.c:7:9: error: use of undeclared identifier 'z'\n"
              "\treturn z;\n\t       ^\n1 error generated.\n")
    err = cc.compile_error(stderr, "/tmp/x/cell.bpf.c", "cell.bpf.c")
    assert (err.file, err.line, err.col) == ("cell.bpf.c", 7, 9)
    assert str(err) == "cell.bpf.c:7:9: error: use of undeclared identifier 'z'"
    assert "/tmp/x" not in err.log


def test_header_is_cached_by_the_btf_checksum() -> None:
    btf = tiny_btf()
    first, seconds = cc.vmlinux_header_dir(btf)
    again, seconds_again = cc.vmlinux_header_dir(btf)
    assert first == again and seconds_again == 0.0 and seconds > 0
    text = (first / "vmlinux.h").read_text()
    assert "struct task_struct {" in text and "tiny test BTF" in text.splitlines()[0]
    assert cc.btf_checksum(btf) in str(first)


@needs_clang
def test_compile_text_gives_a_bpf_object_with_the_program_section(tmp_path) -> None:
    elffile = pytest.importorskip("elftools.elf.elffile", reason="pyelftools is not installed")
    obj = cc.compile_text(GOOD, "good.bpf.c", btf="bundled")
    assert obj.path.is_file() and obj.data[:4] == b"\x7fELF"
    with obj.path.open("rb") as fh:
        elf = elffile.ELFFile(fh)
        assert elf["e_machine"] == "EM_BPF"
        names = {s.name for s in elf.iter_sections()}
    assert {"tp_btf/task_newtask", ".BTF", ".BTF.ext", "license"} <= names
    assert {"-target", "bpf", "-O2", "-g", "-mcpu=v3"} <= set(obj.command)
    cached = cc.compile_text(GOOD, "good.bpf.c", btf="bundled")
    assert cached.path == obj.path and cached.command == ()  # the same cell is not recompiled


@needs_clang
def test_compile_error_names_the_line(tmp_path) -> None:
    src = tmp_path / "bad.bpf.c"
    src.write_text(BAD)
    with pytest.raises(cc.CompileError) as info:
        cc.compile_file(src, btf="bundled")
    err = info.value
    assert (Path(err.file).name, err.line) == ("bad.bpf.c", BAD_LINE)
    assert "undeclared identifier 'undeclared_x'" in err.message


@needs_clang
def test_cli_verify_c_reports_a_compile_error_without_traceback(tmp_path, capsys) -> None:
    src = tmp_path / "bad.bpf.c"
    src.write_text(BAD)
    assert main(["verify", "--btf", "bundled", str(src)]) == 2
    err = capsys.readouterr().err
    assert f"bad.bpf.c:{BAD_LINE}:" in err and "Traceback" not in err
    assert main(["verify", "--json", "--btf", "bundled", str(src)]) == 2
    record = json.loads(capsys.readouterr().out)
    assert record["verdict"] == "error" and "undeclared_x" in record["error"]


@needs_clang
@pytest.mark.parametrize(("text", "verdict"), [(GOOD, "accept"), (LEAK, "reject")])
def test_cli_verify_c_gives_the_verdict(text, verdict, tmp_path, capsys) -> None:
    src = tmp_path / "prog.bpf.c"
    src.write_text(text)
    main(["verify", "--json", str(src)])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["file"], r["program"], r["verdict"]) for r in records] == [
        (str(src), "handle", verdict)]
