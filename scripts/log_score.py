"""The verifier log, kfunclab's against the kernel's, over the selftests corpus.

    python scripts/log_score.py                       # levels 1 and 2, every judged program
    python scripts/log_score.py --levels 1 --only iters,verifier_bounds
    python scripts/log_score.py --details /tmp/log-details.json --top 20

For each program the kernel judged (``accept`` or ``reject`` in the corpus's expected.json),
the kernel's log is asked at level 1 and at level 2 with the corpus's own loader
(``../shared/selftests/load.py``: libbpf opens the object, loads the one program with the
flags, capabilities and auxiliary programs the corpus recorded) and cached under ``--cache``
(per kernel release), so a rerun only runs kfunclab. kfunclab's log is what ``kfunclab verify
--log-level N FILE.bpf.o`` prints for the program (``result.log`` and the newline ``print``
adds). Level 2 is asked only where the kernel's level-1 log is under ``--max-l1`` bytes (the
level-2 log of a long walk is up to 16 MiB).

Reported per level: programs compared, logs equal byte for byte, logs equal once kernel
addresses are masked (a map load prints the map's kernel address, ``0xffff888104803400``;
kfunclab prints ``0x0``: that is the only masking), and the classes of the first differing
line. A class is the kernel's line and kfunclab's line with every number replaced by ``N``
(``<end>`` where a log ended first); the top classes are printed with their counts and an
example program.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kfunclab.logs.addresses import mask_kernel_addresses as mask_addresses  # noqa: E402

SHARED = Path(os.environ.get("KFL_SHARED", ROOT.parent / "shared"))
if not SHARED.is_dir():
    SHARED = Path("/work/shared")
OBJ_DIR = Path(os.environ.get("KFL_SELFTESTS_OBJ", "/work/selftests-obj"))

_NUMBER = re.compile(r"0x[0-9a-f]+|\d+")


def line_class(line: str | None) -> str:
    """A line with its numbers masked: ``12: (85) call pc+8`` -> ``N: (N) call pc+N``."""
    if line is None:
        return "<end>"
    return _NUMBER.sub("N", line.rstrip())[:160]


def first_difference(kernel: str, ours: str) -> tuple[int, str | None, str | None] | None:
    """(line index, kernel's line, kfunclab's line) of the first difference, or None."""
    klines, olines = kernel.split("\n"), ours.split("\n")
    for i in range(max(len(klines), len(olines))):
        k = klines[i] if i < len(klines) else None
        o = olines[i] if i < len(olines) else None
        if k != o:
            return i, k, o
    return None


# ----------------------------------------------------------------------------- the kernel
class KernelLogs:
    """The kernel's logs through the corpus's loader, cached as JSON files."""

    def __init__(self, cache: Path, libbpf: str, timeout: int) -> None:
        self.dir = cache / os.uname().release
        self.libbpf = libbpf
        self.timeout = timeout
        self._loader = None
        self._lb = None

    def _load_module(self):
        if self._loader is None:
            sys.path.insert(0, str(SHARED / "selftests"))
            import load  # the corpus's loader (../shared/selftests/load.py), used as it is

            self._loader = load
            self._lb = load.Libbpf(self.libbpf)
        return self._loader, self._lb

    def get(self, key: str, entry: dict, level: int) -> dict:
        obj, prog = key.split(":", 1)
        name = Path(obj).name
        path = self.dir / f"L{level}" / name / f"{prog}.json"
        if path.is_file():
            return json.loads(path.read_text())
        load, lb = self._load_module()
        res = load.run_child(lb, str(OBJ_DIR / name), prog, set(entry.get("aux_loaded") or ()),
                             level, entry.get("prog_flags") or 0,
                             bool(entry.get("caps_dropped")), self.timeout)
        out = {"verdict": res.get("verdict"), "errno": res.get("errno"),
               "log": res.get("log") or ""}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out))
        return out


# ----------------------------------------------------------------------------- kfunclab
def kfunclab_logs(obj: Path, programs: list[str], level: int) -> dict[str, tuple[str, str]]:
    """{program: (verdict, log as ``verify --log-level N`` prints it)} for one object."""
    from kfunclab.cli import resolve_profile
    from kfunclab.elf import verify_object
    from kfunclab.errors import KfunclabError

    try:
        results = verify_object(obj, programs, btf="auto", profile=resolve_profile("auto"),
                                log_level=level, max_recorded_steps=0)
    except KfunclabError as exc:
        return {p: ("error", str(exc)) for p in programs}
    out = {}
    for item in results:
        if item.result is None:
            out[item.program] = ("error", item.error_text or "")
        else:
            out[item.program] = (item.verdict, item.result.log + "\n")
    return out


# ----------------------------------------------------------------------------- the score
def score(levels: list[int], only: set[str], kernel: KernelLogs, max_l1: int,
          details: list[dict]) -> dict[int, dict]:
    expected = json.loads((OBJ_DIR / "expected.json").read_text())
    judged: dict[str, list[tuple[str, dict]]] = {}
    for key, entry in sorted(expected.items()):
        if entry.get("verdict") not in ("accept", "reject"):
            continue
        obj = Path(key.split(":", 1)[0]).name
        if only and obj.removesuffix(".bpf.o") not in only:
            continue
        judged.setdefault(obj, []).append((key, entry))
    figures = {}
    for level in levels:
        total = exact = masked = skipped = 0
        classes: Counter[str] = Counter()
        examples: dict[str, str] = {}
        for obj, items in judged.items():
            wanted = []
            klogs = {}
            for key, entry in items:
                if level == 2:
                    first = kernel.get(key, entry, 1)
                    if len(first["log"].encode()) >= max_l1:
                        skipped += 1
                        continue
                klogs[key] = kernel.get(key, entry, level)
                wanted.append(key.split(":", 1)[1])
            if not wanted:
                continue
            ours = kfunclab_logs(OBJ_DIR / obj, wanted, level)
            for key in klogs:
                prog = key.split(":", 1)[1]
                klog = klogs[key]["log"]
                verdict, olog = ours.get(prog, ("error", ""))
                total += 1
                same = klog == olog
                exact += same
                kmasked = mask_addresses(klog)
                diff = first_difference(kmasked, olog)
                masked += diff is None
                row = {"key": key, "level": level, "kernel_verdict": klogs[key]["verdict"],
                       "verdict": verdict, "exact": same, "masked": diff is None}
                if diff is not None:
                    idx, kline, oline = diff
                    cls = f"K: {line_class(kline)}\n      O: {line_class(oline)}"
                    classes[cls] += 1
                    examples.setdefault(cls, f"{key} line {idx + 1}")
                    row.update(line=idx + 1, kernel_line=kline, line_ours=oline)
                details.append(row)
        figures[level] = {"programs": total, "exact": exact, "masked": masked,
                          "skipped": skipped, "classes": classes, "examples": examples}
    return figures


def report(figures: dict[int, dict], top: int) -> str:
    out = []
    for level, f in figures.items():
        n = f["programs"] or 1
        out.append(f"level {level}: {f['programs']} programs"
                   + (f" ({f['skipped']} left out: level-1 log too long)" if f["skipped"] else "")
                   + f"; equal byte for byte {f['exact']} ({100 * f['exact'] / n:.1f}%),"
                   f" equal with kernel addresses masked {f['masked']}"
                   f" ({100 * f['masked'] / n:.1f}%)")
        out.append(f"  first differing line, top {top} classes:")
        for cls, count in f["classes"].most_common(top):
            out.append(f"  {count:5d}  K: {cls[3:]}\n         e.g. {f['examples'][cls]}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--levels", default="1,2", help="log levels to compare (default 1,2)")
    ap.add_argument("--only", default="", help="object names without .bpf.o, comma-separated")
    ap.add_argument("--cache", default=f"/tmp/kfl-log-score-{os.getuid()}",
                    help="where the kernel's logs are kept between runs")
    ap.add_argument("--libbpf", default="libbpf.so.1",
                    help="the libbpf the corpus's expected.json was recorded with")
    ap.add_argument("--max-l1", type=int, default=1 << 20,
                    help="level 2 only for programs whose level-1 kernel log is shorter")
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--details", default=None, help="write one record per program (JSON)")
    args = ap.parse_args(argv)
    if not (OBJ_DIR / "expected.json").is_file():
        print(f"no corpus objects with expected.json in {OBJ_DIR} (KFL_SELFTESTS_OBJ)")
        return 1
    levels = [int(x) for x in args.levels.split(",") if x]
    only = {x for x in args.only.split(",") if x}
    kernel = KernelLogs(Path(args.cache), args.libbpf, args.timeout)
    details: list[dict] = []
    start = time.monotonic()
    figures = score(levels, only, kernel, args.max_l1, details)
    print(report(figures, args.top))
    print(f"({time.monotonic() - start:.0f} s)")
    if args.details:
        Path(args.details).write_text(json.dumps(details, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
