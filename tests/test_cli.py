"""The ``kfunclab`` command: verify (human and JSON Lines), asm --hex, cfg --dot/--png, exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kfunclab.cli import main

LEAK = """# SEC("syscall")
# the task reference is never released
\tr1 = 1
\tcall bpf_task_from_pid
\tr0 = 0            # leak
\texit
"""
OK = """# SEC("xdp")
\tr0 = 2
\texit
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    paths = {}
    for name, text in {"leak.s": LEAK, "ok.s": OK, "bad.s": '# SEC("xdp")\n r11 = 1\n exit\n',
                       "unknown.s": '# SEC("syscall")\n call bpf_nope\n exit\n'}.items():
        (tmp_path / name).write_text(text)
        paths[name] = str(tmp_path / name)
    return paths


def _json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_verify_json_lines_carry_the_kernel_fields(files, capsys):
    status = main(["verify", "--json", "--btf", "bundled", files["ok.s"], files["leak.s"]])
    ok, leak = _json_lines(capsys.readouterr().out)
    assert status == 1
    assert ok["file"] == files["ok.s"] and ok["verdict"] == "accept" and ok["error"] is None
    assert ok["prog_type"] == "BPF_PROG_TYPE_XDP" and ok["section"] == "xdp"
    assert leak["verdict"] == "reject" and leak["insn"] == 3
    assert leak["error"] == "BPF_EXIT instruction in main prog would lead to reference leak"
    for key in ("processed_insns", "total_states", "peak_states", "max_states_per_insn"):
        assert isinstance(ok[key], int) and isinstance(leak[key], int)
    assert (leak["processed_insns"], leak["total_states"]) == (4, 0)


def test_verify_exit_status_zero_when_all_accepted(files, capsys):
    assert main(["verify", "--btf", "bundled", files["ok.s"]]) == 0
    assert capsys.readouterr().out.startswith(f"{files['ok.s']}: accept")


def test_input_errors_exit_2_with_file_line_col(files, capsys):
    status = main(["verify", "--json", files["bad.s"], files["unknown.s"], files["ok.s"]])
    bad, unknown, ok = _json_lines(capsys.readouterr().out)
    assert status == 2
    assert bad["verdict"] == "error" and bad["error"].startswith(f"{files['bad.s']}:2:")
    assert "unknown function 'bpf_nope'" in unknown["error"]
    assert ok["verdict"] == "accept"


def test_human_output_shows_message_and_context(files, capsys):
    main(["verify", "--btf", "bundled", files["leak.s"]])
    out = capsys.readouterr().out
    assert "reject at insn 3: BPF_EXIT instruction in main prog would lead to reference leak" in out
    assert "Unreleased reference id=2 alloc_insn=1" in out


def test_log_level_prints_the_kernel_log(files, capsys):
    main(["verify", "--log-level", "1", "--btf", "bundled", files["leak.s"]])
    out = capsys.readouterr().out
    assert "1: (85) call bpf_task_from_pid#" in out
    assert "processed 4 insns (limit 1000000)" in out


def test_asm_hex_one_instruction_per_line(files, capsys):
    assert main(["asm", files["ok.s"], "--hex"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(":")[1].split()[:8] == ["b7", "00", "00", "00", "02", "00", "00", "00"]
    assert lines[1].split(":")[1].split()[:8] == ["95", "00", "00", "00", "00", "00", "00", "00"]


def test_cfg_dot_and_png(files, tmp_path):
    dot = tmp_path / "g.dot"
    assert main(["cfg", files["leak.s"], "--dot", str(dot)]) == 0
    assert dot.read_text().startswith("digraph")
    pytest.importorskip("matplotlib")
    png = tmp_path / "g.png"
    assert main(["cfg", files["leak.s"], "--png", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
