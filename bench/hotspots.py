"""Profile ``kfunclab verify`` on a file with cProfile and print the top entries as Markdown.

    python bench/hotspots.py /tmp/d/diamonds14.s                # --json --btf bundled ...
    python bench/hotspots.py /tmp/d/diamonds16.s --top 20 --save /tmp/p16.out

The command runs in this process, as a user calls it (``kfunclab.cli.main``), so the table
shows where the CLI spends its time, start-up excluded. ``share`` is the function's own time
(tottime) over the whole profile; ``cum`` includes what it calls. cProfile slows Python code
down unevenly (calls cost more than loops), so read the shares, not the seconds, and confirm a
change with CPU time (``/usr/bin/time``) or instruction counts.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import sys


def profile_cli(argv: list[str], save: str | None = None) -> pstats.Stats:
    """Run ``kfunclab`` with ``argv`` under cProfile; its stdout is dropped."""
    from kfunclab.cli import main

    prof = cProfile.Profile()
    with contextlib.redirect_stdout(io.StringIO()):
        prof.runcall(main, argv)
    if save:
        prof.dump_stats(save)
    return pstats.Stats(prof)


def markdown_top(stats: pstats.Stats, top: int = 15) -> str:
    """The ``top`` functions by own time: calls, own share, cumulative share."""
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, tt, _, _) in raw.values()) or 1.0
    rows = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    calls = sum(nc for (_, nc, _, _, _) in raw.values())
    lines = [f"{calls:,} function calls, {total:.1f} s under the profiler", "",
             "| function | calls | share (own) | cum |", "|---|---|---|---|"]
    for (file, line, name), (_, ncalls, tt, ct, _) in rows:
        where = f"{os.path.basename(file)}:{line}({name})" if line else name
        lines.append(f"| `{where}` | {ncalls:,} | {100 * tt / total:.1f}% | "
                     f"{100 * ct / total:.0f}% |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--save", default=None, help="also write the pstats file here")
    ap.add_argument("--cli", default="verify --json --btf bundled --profile linux-6.18",
                    help="the kfunclab arguments before the file")
    args = ap.parse_args(argv)
    stats = profile_cli([*args.cli.split(), args.file], args.save)
    print(markdown_top(stats, args.top))
    return 0


if __name__ == "__main__":
    # measure the checkout this script is in, not whichever kfunclab is installed
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
