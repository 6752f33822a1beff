"""The Linux selftests corpus through kfunclab and through the kernel, in the same run (issue 13).

    python bench/selftests.py            # objects of $KFL_SELFTESTS_OBJ (default: the test's)

The kernel's side is the corpus's own loader (``../shared/selftests/load.py``: libbpf opens each
object and loads every program for verification only, as the selftests' test_loader does), timed
as a whole: libbpf's work is included, so it is an upper bound on the kernel's verification
time. kfunclab's side is one ``kfunclab verify --json`` process over every object (start-up
included), with ``--jobs 1`` and ``--jobs 2``. CPU time is user + sys of the child processes
(``getrusage(RUSAGE_CHILDREN)``); the machine is shared, so CPU is the figure to compare.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "selftests"
OBJ_DIR = Path(os.environ.get("KFL_SELFTESTS_OBJ", f"/tmp/kfl-selftests-obj-{os.getuid()}"))
BUILD_DIR = Path(os.environ.get("KFL_SELFTESTS_BUILD", f"/tmp/kfl-selftests-build-{os.getuid()}"))


def _timed(cmd: list[str], **kwargs: object) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall s, CPU s of the children, the finished process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def main() -> int:
    objects = sorted(str(p) for p in OBJ_DIR.glob("*.bpf.o"))
    if not objects:
        print(f"no objects in {OBJ_DIR}: build them with ../shared/selftests/build.sh")
        return 1
    env = dict(os.environ, KFL_SELFTESTS_BUILD=str(BUILD_DIR))
    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu, done = _timed([sys.executable, "load.py", "--obj-dir", str(OBJ_DIR), "--out",
                                  f"{tmp}/answers.json"], cwd=CORPUS, env=env)
    if done.returncode:
        print(f"load.py failed: {done.stderr[-500:]}")
        return 1
    print("| side | programs | wall s | CPU s |\n|---|---|---|---|")
    print(f"| kernel (load.py: libbpf + bpf()) | all | {wall:.1f} | {cpu:.1f} |")
    for jobs in (1, 2):
        wall, cpu, done = _timed([sys.executable, "-m", "kfunclab.cli", "verify", "--json",
                                  "--jobs", str(jobs), *objects], cwd=ROOT)
        lines = sum(1 for ln in done.stdout.splitlines() if ln.startswith("{"))
        print(f"| kfunclab `verify --json --jobs {jobs}` | {lines} | {wall:.1f} | {cpu:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
