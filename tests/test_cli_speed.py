"""The CLI does only the work its output needs, and that changes nothing it prints.

``kfunclab verify`` runs ``verify()`` without the per-step recording and, unless
``--log-level`` asks for it, without log text (:func:`kfunclab.cli._verify_options`). These
tests run the command both ways, lean and as it ran before (log level 1, every step recorded),
on every program of the rule corpus and of the shared cases, and compare the output byte for
byte: the JSON lines (verdict, error, insn, counters) and the human lines (message, context
lines, every rejected path with ``--all-errors``). ``--jobs 2`` must print what ``--jobs 1``
prints.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kfunclab import cli

HERE = Path(__file__).resolve().parent
RULE_PROGRAMS = sorted(str(p) for p in (HERE / "verifier" / "programs").rglob("*.s"))
SHARED_CASES = Path("/work/shared/cases")
COMMON = ["verify", "--btf", "bundled", "--profile", "linux-6.18"]


def _full_options(args):
    """What the CLI asked of verify() before it went lean: level-1 log, every step recorded."""
    return {"log_level": max(args.log_level, 1)}


def _run(argv: list[str], capsys, monkeypatch, full: bool) -> tuple[int, str, str]:
    with monkeypatch.context() as m:
        if full:
            m.setattr(cli, "_verify_options", _full_options)
        status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def _compare_modes(files: list[str], capsys, monkeypatch) -> None:
    for extra in (["--json"], ["--all-errors"], ["--json", "--all-errors"]):
        argv = COMMON + extra + files
        lean = _run(argv, capsys, monkeypatch, full=False)
        full = _run(argv, capsys, monkeypatch, full=True)
        assert lean[1].count("\n") >= len(files)
        for lean_line, full_line in zip(lean[1].splitlines(), full[1].splitlines(), strict=True):
            assert lean_line == full_line, extra
        assert lean == full


def test_lean_cli_output_equals_full_on_the_rule_corpus(capsys, monkeypatch):
    assert len(RULE_PROGRAMS) > 50
    _compare_modes(RULE_PROGRAMS, capsys, monkeypatch)


@pytest.mark.skipif(not SHARED_CASES.is_dir(), reason="no /work/shared/cases on this machine")
def test_lean_cli_output_equals_full_on_the_shared_cases(capsys, monkeypatch):
    files = sorted(str(p) for p in SHARED_CASES.rglob("*.s"))
    assert files
    _compare_modes(files, capsys, monkeypatch)


def test_lean_mode_records_no_steps_and_no_log(tmp_path, capsys, monkeypatch):
    prog = tmp_path / "leak.s"
    prog.write_text('# SEC("syscall")\n r1 = 1\n call bpf_task_from_pid\n r0 = 0\n exit\n')
    seen = {}
    real = cli._verify_options

    def spy(args):
        seen.update(real(args))
        return seen

    monkeypatch.setattr(cli, "_verify_options", spy)
    assert cli.main([*COMMON, "--json", str(prog)]) == 1
    assert seen == {"log_level": 0, "max_recorded_steps": 0}
    assert '"insn": 3' in capsys.readouterr().out


def test_log_level_still_prints_the_log(tmp_path, capsys):
    prog = tmp_path / "leak.s"
    prog.write_text('# SEC("syscall")\n r1 = 1\n call bpf_task_from_pid\n r0 = 0\n exit\n')
    assert cli.main([*COMMON, "--log-level", "1", str(prog)]) == 1
    out = capsys.readouterr().out
    assert "0: (b7) r1 = 1" in out and "processed 4 insns" in out


def test_jobs_2_prints_what_jobs_1_prints(tmp_path, capsys):
    files = RULE_PROGRAMS[:6]
    bad = tmp_path / "bad.s"
    bad.write_text('# SEC("xdp")\n r11 = 1\n exit\n')
    files = [*files[:3], str(bad), *files[3:]]
    for extra in (["--json"], []):
        one = cli.main(COMMON + extra + ["--jobs", "1"] + files), capsys.readouterr()
        two = cli.main(COMMON + extra + ["--jobs", "2"] + files), capsys.readouterr()
        assert one == two
        assert one[0] == 2  # the unparsable file
        assert one[1].out.count("\n") >= len(files) - 1
