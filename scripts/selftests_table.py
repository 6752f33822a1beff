"""Write docs/selftests.md: how far kfunclab gets on each object of the selftests corpus.

    python scripts/selftests_table.py OBJ_DIR EXPECTED.json > docs/selftests.md

OBJ_DIR holds the built objects (../shared/selftests/build.sh), EXPECTED.json the running
kernel's answers (its load.py). Every program the kernel accepted or rejected is verified by
kfunclab and compared.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from kfunclab.elf import ObjectError, verify_object


def _reason(text: str) -> str:
    first = text.split("; ")[0]
    first = re.sub(r"'[^']*'", "X", first)
    first = re.sub(r"#\d+", "", first)
    return re.sub(r"insn \d+|slot \d+|ctx\+\d+, \d+ bytes", "N", first)


def main(obj_dir: str, expected_path: str) -> None:
    kernel = json.loads(Path(expected_path).read_text())
    rows: dict[str, Counter] = defaultdict(Counter)
    reasons: dict[str, Counter] = defaultdict(Counter)
    overall: Counter = Counter()
    for path in sorted(Path(obj_dir).glob("*.bpf.o")):
        try:
            results = {r.program: r for r in verify_object(path, log_level=0)}
        except ObjectError:
            results = {}
        for key, want in kernel.items():
            name, _, prog = key.partition(":")
            if Path(name).name != path.name or want["verdict"] not in ("accept", "reject"):
                continue
            got = results.get(prog)
            verdict = got.verdict if got is not None else "missing"
            row = rows[path.name.removesuffix(".bpf.o")]
            row["judged"] += 1
            row["agree"] += verdict == want["verdict"]
            row["unsupported"] += verdict == "unsupported"
            row["unsound"] += want["verdict"] == "reject" and verdict == "accept"
            if verdict == "unsupported" and got is not None and got.result is not None:
                why = _reason(got.result.error.message)
                reasons[path.name][why] += 1
                overall[why] += 1
    total = Counter()
    for row in rows.values():
        total.update(row)
    out = ["# kfunclab on the Linux BPF selftests", "",
           "The Linux 6.12 BPF selftests (`../shared/selftests`, built with clang-16) verified "
           "by kfunclab and compared with the running kernel's answers (6.18.44), program by "
           "program. *judged*: programs the kernel accepted or rejected; *agree*: kfunclab "
           "gave the same verdict; *unsupported*: kfunclab answered `unsupported` (something "
           "it does not model, named); *unsound*: kernel rejects, kfunclab accepts (must be 0). "
           "Regenerate with `python scripts/selftests_table.py OBJ_DIR EXPECTED.json`; "
           "`tests/test_selftests_corpus.py` keeps the floor.", "",
           f"**Overall**: agree {total['agree']}/{total['judged']} "
           f"({total['agree'] / max(total['judged'], 1):.1%}), unsupported "
           f"{total['unsupported']}, unsound {total['unsound']}.", "",
           "## Why kfunclab answers unsupported (top 15)", "",
           "| programs | reason |", "|---:|---|"]
    out += [f"| {n} | {why} |" for why, n in overall.most_common(15)]
    out += ["", "## Per object", "",
            "| object | judged | agree | unsupported | unsound | top reasons for unsupported |",
            "|---|---:|---:|---:|---:|---|"]
    for name in sorted(rows):
        r = rows[name]
        top = "; ".join(f"{why} ({n})" for why, n in
                        reasons[name + ".bpf.o"].most_common(2))
        out.append(f"| {name} | {r['judged']} | {r['agree']} | {r['unsupported']} | "
                   f"{r['unsound']} | {top.replace('|', '/')} |")
    print("\n".join(out))


if __name__ == "__main__":
    main(*sys.argv[1:3])
