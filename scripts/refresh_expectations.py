#!/usr/bin/env python3
"""Ask the live kernel about every rule-test program and record its answers.

Each ``tests/verifier/programs/<rule>/NAME.s`` is loaded for verification only (never attached
or run) through :func:`kfunclab.kernel.kernel_verdict` at log level 2, and its record goes to
``tests/verifier/expected.json``::

    {"references/double_release.s": {
        "verdict": "reject", "errno": 13,
        "error": "arg#0 pointer type STRUCT task_struct must point to scalar, ...",
        "context": [],             # lines printed just before the error (leaks, __sz, ...)
        "insn": 8,                 # the last instruction the log shows before the error
        "processed_insns": 8, "total_states": 0, "peak_states": 0,
        "kernel": "6.18.44-..."}}

``error`` is the kernel's last meaningful line before the ``processed N insns`` summary (the
convention of ``/work/shared/tools/kernel-verdict``); a refusal with an empty log reads
``errno 1 (EPERM), empty verifier log`` with no stats. ``tests/verifier/test_rules.py`` then holds
kfunclab's verifier to these answers without needing the kernel.

    .venv/bin/python scripts/refresh_expectations.py            # rewrite expected.json
    .venv/bin/python scripts/refresh_expectations.py --check    # exit 1 if it is out of date
    .venv/bin/python scripts/refresh_expectations.py -k iter/   # only matching programs

Needs root, /sys/kernel/btf/vmlinux and a usable bpf().
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from kfunclab.isa.parser import parse_program
from kfunclab.kernel import kernel_available, kernel_verdict

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "tests" / "verifier" / "programs"
EXPECTED = ROOT / "tests" / "verifier" / "expected.json"

# "12: (61) r0 = *(u32 *)(r0 +16)": an instruction line of the log (not "12: R0=..." states)
_INSN_LINE = re.compile(r"^(\d+): \([0-9a-f]{2}\) ")
# Lines that belong to the walk, not to the explanation of an error.
_WALK_LINE = re.compile(
    r"^(\d+:|from \d+ to \d+|mark_precise:|frame \d+:|func#\d+ @|SCC |\(\d+\) |Live regs)")
_SUMMARY = re.compile(r"^processed \d+ insns")


def program_files(pattern: str | None = None) -> list[Path]:
    """Every program file, sorted, optionally only those whose relative path has ``pattern``."""
    files = sorted(PROGRAMS.rglob("*.s"))
    return [f for f in files if pattern is None or pattern in relpath(f)]


def relpath(path: Path) -> str:
    """``rule/NAME.s``: the key of a program in expected.json."""
    return path.relative_to(PROGRAMS).as_posix()


def error_position(log: str, error: str | None) -> tuple[tuple[str, ...], int | None]:
    """The explanation lines printed just before ``error``, and the instruction it refers to.

    The context is the run of non-walk lines right above the error line (``Unreleased
    reference id=2 alloc_insn=1`` above a leak, ``R2 min value is negative, ...`` above an
    ``__sz`` error). The instruction is the last ``N: (op) ...`` line above it, or None when the
    kernel refused before walking (check_cfg errors, empty logs).

    >>> error_position("3: (95) exit\\nUnreleased reference id=2 alloc_insn=1\\n"
    ...                "BPF_EXIT instruction in main prog would lead to reference leak\\n"
    ...                "processed 4 insns", "BPF_EXIT instruction in main prog would lead to "
    ...                "reference leak")
    (('Unreleased reference id=2 alloc_insn=1',), 3)
    """
    lines = [line.rstrip() for line in log.splitlines()]
    end = next((i for i, line in enumerate(lines) if _SUMMARY.match(line)), len(lines))
    where = next((i for i in range(end - 1, -1, -1) if error and lines[i].strip() == error), None)
    if where is None:
        return (), None
    context: list[str] = []
    i = where - 1
    while i >= 0 and lines[i].strip() and not _WALK_LINE.match(lines[i]):
        context.insert(0, lines[i].strip())
        i -= 1
    insn = next((int(m.group(1)) for line in reversed(lines[:where])
                 if (m := _INSN_LINE.match(line))), None)
    return tuple(context), insn


def kernel_record(path: Path) -> dict[str, Any]:
    """The live kernel's answer on one program file, as stored in expected.json."""
    program = parse_program(path.read_text(), str(path))
    answer = kernel_verdict(program)
    context, insn = error_position(answer.log, answer.error)
    return {
        "verdict": answer.verdict,
        "errno": answer.errno,
        "error": answer.error,
        "context": list(context),
        "insn": insn if answer.verdict == "reject" else None,
        "processed_insns": answer.processed_insns,
        "total_states": answer.total_states,
        "peak_states": answer.peak_states,
        "kernel": answer.kernel,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with expected.json instead of writing it")
    parser.add_argument("-k", dest="pattern", help="only programs whose path contains this")
    args = parser.parse_args(argv)
    ok, why = kernel_available()
    if not ok:
        print(f"refresh_expectations: the live kernel cannot be asked: {why}", file=sys.stderr)
        return 2
    old: dict[str, Any] = json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {}
    new = dict(old) if args.pattern else {}
    changed = []
    for path in program_files(args.pattern):
        key = relpath(path)
        new[key] = kernel_record(path)
        if old.get(key) != new[key]:
            changed.append(key)
        print(f"{new[key]['verdict']:7} {key}: {new[key]['error'] or ''}")
    gone = sorted(set(old) - set(new))
    if args.check:
        for key in changed + gone:
            print(f"out of date: {key}", file=sys.stderr)
        return 1 if changed or gone else 0
    EXPECTED.write_text(json.dumps(dict(sorted(new.items())), indent=1) + "\n")
    print(f"wrote {len(new)} records to {EXPECTED.relative_to(ROOT)} "
          f"({len(changed)} changed, {len(gone)} removed) on kernel {os.uname().release}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
