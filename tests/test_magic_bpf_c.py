"""The %%bpf_c cell magic: C compiled with clang, verified, shown like %%bpf; bad C is a
message with its line, never a traceback."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from test_cc import BAD, GOOD, LEAK, needs_clang


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as mp:
        # one directory for the session's modules: vmlinux.h is written once
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        yield


@pytest.fixture()
def ip():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "kfunclab")
    yield shell
    shell.run_line_magic("unload_ext", "kfunclab")


def run(ip, line: str, body: str) -> list[dict]:
    with capture_output() as cap:
        ip.run_cell_magic("bpf_c", line, body)
    assert cap.stderr == "" and "Traceback" not in cap.stdout
    return [o.data for o in cap.outputs]


@needs_clang
def test_bad_c_is_a_message_with_its_cell_line(ip) -> None:
    ip.user_ns["_bpf"] = "stale"
    out = run(ip, "--btf bundled", BAD)
    assert ip.user_ns["_bpf"] is None
    plain = out[0]["text/plain"]
    # the magic line is line 1, so the cell's line k is reported as k + 1
    line = 1 + next(i for i, t in enumerate(BAD.splitlines(), 1) if "undeclared_x" in t)
    assert f"cell.bpf.c:{line}:" in plain and "undeclared identifier 'undeclared_x'" in plain
    assert "return undeclared_x;" in out[0]["text/html"] and "^" in out[0]["text/html"]


@needs_clang
def test_own_kfunc_declaration_that_conflicts_gets_a_hint(ip) -> None:
    body = GOOD.replace('char LICENSE', 'extern int bpf_task_acquire(int x) __ksym;\nchar LICENSE')
    out = run(ip, "--btf bundled", body)
    assert "conflicting types for 'bpf_task_acquire'" in out[0]["text/plain"]
    assert "BPF_NO_KFUNC_PROTOTYPES" in out[0]["text/plain"]


@needs_clang
def test_leak_in_c_is_a_reject_with_the_bpf_views(ip) -> None:
    out = run(ip, "--name leaky", LEAK)
    result = ip.user_ns["_bpf"]
    assert result.verdict.value == "reject" and ip.user_ns["leaky"] is result
    assert list(ip.user_ns["_bpf_programs"]) == ["handle"]
    assert "handle" in out[0]["text/plain"] and "Unreleased reference" in out[0]["text/html"]
    run(ip, "", GOOD)
    assert ip.user_ns["_bpf"].verdict.value == "accept"


def test_without_clang_the_cell_says_so_and_its_name_is_none(ip, monkeypatch) -> None:
    # notebook 01 starts with a %%bpf_c cell: where clang is missing it must be a message,
    # and the -n variable None, so the cells after it can say what is missing
    monkeypatch.delenv("CLANG", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    ip.user_ns["first_c"] = "stale"
    out = run(ip, "--btf bundled -n first_c", GOOD)
    assert "clang not found" in out[0]["text/plain"]
    assert ip.user_ns["first_c"] is None and ip.user_ns["_bpf"] is None
