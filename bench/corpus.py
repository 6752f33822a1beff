"""A corpus through ``kfunclab verify --json``, and through the live kernel, in the same run.

    python bench/corpus.py                       # /work/shared/cases, the table on stdout
    python bench/corpus.py DIR [DIR ...] --jobs 2
    python bench/corpus.py --readme              # rewrite the corpus table in bench/README.md

kfunclab runs as a user runs it: one ``kfunclab verify --json FILE...`` process over every file
(start-up included), then the same with ``--jobs N``, then one process per file for the slowest
single-file answer. CPU time and peak memory come from ``getrusage(RUSAGE_CHILDREN)`` (CPU is
user + sys of the child and its workers; memory is the largest single process). The kernel is
asked in this process with ``kfunclab.kernel.verdict.kernel_verdict`` (log level 1, load only),
timing the ``bpf()`` load of each file; BTF reading is done before the clock starts. ``agree``
counts files whose verdict and state counters are the same in both answers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = Path(__file__).with_name("README.md")
TABLE_BEGIN = "<!-- corpus-table: begin (written by bench/corpus.py --readme) -->"
TABLE_END = "<!-- corpus-table: end -->"
DEFAULT_DIRS = (Path("/work/shared/cases"),)


@dataclass(frozen=True)
class Run:
    """One kfunclab command over the corpus: its JSON records, wall and CPU seconds, peak RSS."""

    records: list[dict]
    wall_s: float
    cpu_s: float
    max_rss_mb: float


def run_cli(files: list[str], extra: list[str]) -> Run:
    """``python -m kfunclab.cli verify --json EXTRA FILES`` in a child process, measured."""
    cmd = [sys.executable, "-m", "kfunclab.cli", "verify", "--json", *extra, *files]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    records = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return Run(records, wall, cpu, after.ru_maxrss / 1024)


def kernel_answers(files: list[str]) -> tuple[dict[str, object], float]:
    """The live kernel's answer per file and the summed time of the ``bpf()`` loads."""
    from kfunclab.btf import load_btf
    from kfunclab.errors import KfunclabError
    from kfunclab.isa.parser import parse_file
    from kfunclab.kernel import kernel_verdict

    btf = load_btf("live")
    answers: dict[str, object] = {}
    total = 0.0
    for file in files:
        try:
            program = parse_file(file)
        except KfunclabError:
            continue
        start = time.perf_counter()
        try:
            answers[file] = kernel_verdict(program, btf, log_level=1)
        except KfunclabError:
            continue
        finally:
            total += time.perf_counter() - start
    return answers, total


def agreement(records: list[dict], kernel: dict[str, object]) -> tuple[int, int]:
    """(files whose verdict and counters equal the kernel's, files the kernel answered)."""
    same = 0
    for rec in records:
        k = kernel.get(rec["file"])
        if k is None:
            continue
        ours = (rec["verdict"], rec.get("processed_insns"), rec.get("total_states"),
                rec.get("peak_states"))
        theirs = (k.verdict, k.processed_insns, k.total_states, k.peak_states)  # type: ignore
        same += ours == theirs
    return same, len(kernel)


def collect(dirs: list[Path]) -> list[str]:
    return sorted(str(p) for d in dirs if d.is_dir() for p in d.rglob("*.s"))


def table(files: list[str], jobs: int, use_kernel: bool) -> str:
    """Measure and format the corpus table (Markdown)."""
    live = use_kernel
    opts = ["--btf", "live", "--profile", "live"] if live else ["--btf", "bundled",
                                                               "--profile", "linux-6.18"]
    one = run_cli(files, opts)
    many = run_cli(files, [*opts, "--jobs", str(jobs)])
    singles = [run_cli([f], opts) for f in files]
    slowest = max(singles, key=lambda r: r.wall_s)
    slowest_cpu = max(singles, key=lambda r: r.cpu_s)
    kernel, kernel_s = kernel_answers(files) if use_kernel else ({}, None)
    same, asked = agreement(one.records, kernel) if use_kernel else (0, 0)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"{len(files)} files; {'--btf live --profile live' if live else ' '.join(opts)}; "
        f"load average {load} at the end; {time.strftime('%Y-%m-%d')}",
        "",
        "| run | wall s | CPU s (user+sys) | peak RSS MB |",
        "|---|---|---|---|",
        f"| `kfunclab verify --json` (one process, all files) | {one.wall_s:.2f} | "
        f"{one.cpu_s:.2f} | {one.max_rss_mb:.0f} |",
        f"| same with `--jobs {jobs}` | {many.wall_s:.2f} | {many.cpu_s:.2f} | "
        f"{many.max_rss_mb:.0f} |",
        f"| one process per file: the slowest file (start-up included) | "
        f"{slowest.wall_s:.2f} | {slowest_cpu.cpu_s:.2f} | "
        f"{max(r.max_rss_mb for r in singles):.0f} |",
        f"| one process per file: all files, summed | {sum(r.wall_s for r in singles):.2f} | "
        f"{sum(r.cpu_s for r in singles):.2f} | - |",
    ]
    if use_kernel:
        lines.append(f"| the live kernel, `bpf()` loads summed (log level 1) | {kernel_s:.3f} | "
                     "- | - |")
        lines += ["", f"Verdict and state counters equal to the kernel's: {same} of {asked} "
                  "files."]
    same_jobs = [r["file"] for r in one.records] == [r["file"] for r in many.records] and \
        one.records == many.records
    lines.append(f"`--jobs {jobs}` output identical to one process: "
                 f"{'yes' if same_jobs else '**NO**'}.")
    return "\n".join(lines)


def update_readme(text: str, path: Path = README) -> None:
    block = f"{TABLE_BEGIN}\n{text}\n{TABLE_END}"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if TABLE_BEGIN in old and TABLE_END in old:
        start, end = old.index(TABLE_BEGIN), old.index(TABLE_END) + len(TABLE_END)
        old = old[:start] + block + old[end:]
    else:
        old = old.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(old, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="*", type=Path, help="folders of .s files (default: shared)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-kernel", action="store_true")
    ap.add_argument("--readme", action="store_true", help=f"write the table into {README}")
    args = ap.parse_args(argv)
    files = collect(args.dirs or list(DEFAULT_DIRS))
    if not files:
        print("no .s files found", file=sys.stderr)
        return 2
    use_kernel = not args.no_kernel
    if use_kernel:
        from kfunclab.kernel import kernel_available

        ok, why = kernel_available()
        if not ok:
            print(f"live kernel not asked: {why}", file=sys.stderr)
            use_kernel = False
    text = table(files, args.jobs, use_kernel)
    print(text)
    if args.readme:
        update_readme(text)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # measure this checkout, not an installed kfunclab
    sys.exit(main())
