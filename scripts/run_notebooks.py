#!/usr/bin/env python3
"""Execute the notebooks in place, refreshing their stored outputs; optionally ask the live
kernel about every program they verify.

    .venv/bin/python scripts/run_notebooks.py                 # all of notebooks/*.ipynb
    .venv/bin/python scripts/run_notebooks.py notebooks/04-acquire-release.ipynb
    sudo .venv/bin/python scripts/run_notebooks.py --kernel   # also compare with Linux 6.18

Each notebook runs top to bottom in a fresh ``python3`` kernel (nbclient) with a clean
IPython directory, so no personal startup file can change an output. What is stored is made
deterministic: no execution timings, and widget views (whose model ids are random and which
need a live kernel anyway) become a short plain-text note.

``--kernel`` installs an IPython startup file that records every ``verify()`` call the
notebook makes (the program and the verdict it showed); afterwards each recorded program that
the live kernel can judge (profile linux-6.18, the built-in catalogue, precise pruning) is
loaded with ``kfunclab.kernel.kernel_verdict`` and the verdicts and messages are compared. It
also sets ``KFUNCLAB_LIVE_KERNEL=1``, so ``kfunclab.exercises.kernel_said`` (which asks the
running kernel whenever it can) raises where the kernel's answer differs from a recorded one.
Any difference is printed and the exit status is 1. ``tests/test_notebook_answers.py`` checks
the same recorded answers without running the notebooks.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "[interactive widget: run this cell in Jupyter to use it]"

# Runs in the notebook's kernel at start-up when --kernel is given: wrap verify() so that each
# call appends (program, options, verdict, message) to the file named by KFUNCLAB_RECORD.
RECORDER = '''
import os, pickle
import kfunclab.verifier as _v
import kfunclab.verifier.api as _api

_original = _api.verify

def _recording_verify(program, **options):
    result = _original(program, **options)
    with open(os.environ["KFUNCLAB_RECORD"], "ab") as f:
        pickle.dump((program, options, result.verdict.value,
                     result.error.message if result.error else None), f)
    return result

_api.verify = _recording_verify
_v.verify = _recording_verify
'''


def clean_outputs(nb: nbformat.NotebookNode) -> None:
    """Make stored outputs deterministic: no timings, no widget model ids, and one stream
    output where the kernel happened to flush a print in several pieces."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        merged: list[nbformat.NotebookNode] = []
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data and WIDGET_MIME in data:
                data.pop(WIDGET_MIME)
                data["text/plain"] = WIDGET_NOTE
            last = merged[-1] if merged else None
            if (last is not None and out.output_type == "stream" == last.output_type
                    and out.name == last.name):
                last.text += out.text
            else:
                merged.append(out)
        if cell.cell_type == "code":
            cell.outputs = merged


def ipython_dir(record: Path | None) -> str:
    """A fresh IPython directory; with ``record``, its start-up file is the recorder."""
    folder = Path(tempfile.mkdtemp(prefix="kfunclab-ipython-"))
    startup = folder / "profile_default" / "startup"
    startup.mkdir(parents=True)
    if record is not None:
        (startup / "00-kfunclab-record.py").write_text(RECORDER)
    return str(folder)


def execute(path: Path, record: Path | None, timeout: int) -> None:
    """Run one notebook in place."""
    nb = nbformat.read(path, as_version=4)
    env = {"IPYTHONDIR": ipython_dir(record)}
    if record is not None:
        env |= {"KFUNCLAB_RECORD": str(record), "KFUNCLAB_LIVE_KERNEL": "1"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                record_timing=False,
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    clean_outputs(nb)
    nbformat.write(nb, path)


def recorded(record: Path) -> list[tuple[object, dict, str, str | None]]:
    calls = []
    with open(record, "rb") as f:
        while True:
            try:
                calls.append(pickle.load(f))
            except EOFError:
                return calls


def kernel_can_judge(options: dict) -> bool:
    return (options.get("profile", "linux-6.18") == "linux-6.18"
            and options.get("catalog") is None and options.get("precision", True)
            and options.get("insn_limit", 1_000_000) == 1_000_000)


def compare_with_kernel(record: Path) -> tuple[int, list[str], list[str]]:
    """Ask the live kernel about every recorded program it can judge.

    Returns (programs compared, differences, programs the kernel cannot load: e.g. a kfunc
    such as crash_kexec that kfunclab models but this kernel was built without).
    """
    from kfunclab.errors import KfunclabError
    from kfunclab.kernel import kernel_verdict

    problems: list[str] = []
    unjudged: list[str] = []
    seen: set[tuple[str, str]] = set()
    for program, options, verdict, message in recorded(record):
        if not kernel_can_judge(options):
            continue
        text = program.source.text if program.source else repr(program.insns)  # type: ignore
        key = (text, program.section)  # type: ignore[attr-defined]
        if key in seen:
            continue
        seen.add(key)
        try:
            kv = kernel_verdict(program)  # type: ignore[arg-type]
        except KfunclabError as exc:
            unjudged.append(f"{exc}")
            continue
        if (kv.verdict, kv.error) != (verdict, message):
            problems.append(f"kernel: {kv.verdict}: {kv.error}\nours:   {verdict}: {message}\n"
                            f"{text}")
    return len(seen) - len(unjudged), problems, unjudged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: notebooks/*.ipynb)")
    parser.add_argument("--kernel", action="store_true",
                        help="compare every program with the live kernel (root, bpf())")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    failed = 0
    for path in paths:
        record = Path(tempfile.mkstemp(suffix=".pickle")[1]) if args.kernel else None
        print(f"running {path.name} ...", flush=True)
        execute(path.resolve(), record, args.timeout)
        if record is not None:
            compared, problems, unjudged = compare_with_kernel(record)
            print(f"  {compared} programs compared with the live kernel, {len(problems)} differ"
                  f"; {len(unjudged)} it cannot load")
            for p in unjudged:
                print("  not judged: " + p)
            for p in problems:
                print("  DIFFERENT " + p.replace("\n", "\n    "))
            failed += bool(problems)
            record.unlink()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
