"""Write docs/selftests.md and the family list of docs/model.md from the selftests corpus.

    python scripts/selftests_table.py OBJ_DIR EXPECTED.json > docs/selftests.md
    python scripts/selftests_table.py OBJ_DIR EXPECTED.json --model docs/model.md

OBJ_DIR holds the built objects (../shared/selftests/build.sh), EXPECTED.json the running
kernel's answers (its load.py). Every program the kernel accepted or rejected is verified by
kfunclab under the running kernel's profile (``auto``) and compared: the verdict, and for
kernel rejects the first-error line (score.py's rule: ``Result.error.message`` against the
kernel's recorded ``error``). With ``--model FILE``
the list of families below 100% replaces the text between the two marker lines of FILE.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from kfunclab.cli import resolve_profile
from kfunclab.elf import ObjectError, verify_object

BEGIN = "<!-- BEGIN selftests families (scripts/selftests_table.py) -->"
END = "<!-- END selftests families -->"


def _reason(text: str) -> str:
    first = text.split("; ")[0]
    first = re.sub(r"'[^']*'", "X", first)
    first = re.sub(r"#\d+", "", first)
    return re.sub(r"insn \d+|slot \d+|ctx\+\d+, \d+ bytes", "N", first)


def _why(kernel: dict, verdict: str, message: str) -> str | None:
    """Why one program disagrees (None when it agrees to the message)."""
    if verdict == "unsupported":
        return "not modelled: " + _reason(message)
    if verdict != kernel["verdict"]:
        return (f"kernel {kernel['verdict']}s, kfunclab {verdict}s"
                + (f" ({_reason(message)})" if message else ""))
    if verdict == "reject" and message.strip() != (kernel.get("error") or "").strip():
        return "another first error than the kernel's"
    return None


def _score(obj_dir: str, expected_path: str) -> tuple[dict, dict]:
    kernel = json.loads(Path(expected_path).read_text())
    rows: dict[str, Counter] = defaultdict(Counter)
    whys: dict[str, Counter] = defaultdict(Counter)
    profile = resolve_profile("auto")  # the running kernel's own, where it can be probed
    for path in sorted(Path(obj_dir).glob("*.bpf.o")):
        try:
            results = {r.program: r for r in verify_object(path, log_level=0, profile=profile)}
        except ObjectError:
            results = {}
        for key, want in kernel.items():
            name, _, prog = key.partition(":")
            if Path(name).name != path.name or want["verdict"] not in ("accept", "reject"):
                continue
            got = results.get(prog)
            verdict = got.verdict if got is not None else "missing"
            message = (got.result.error.message if got is not None and got.result is not None
                       and got.result.error is not None else "")
            row = rows[path.name.removesuffix(".bpf.o")]
            row["judged"] += 1
            row["agree"] += verdict == want["verdict"]
            row["rejects"] += want["verdict"] == "reject"
            row["message"] += (want["verdict"] == "reject" == verdict
                               and message.strip() == (want.get("error") or "").strip())
            row["unsupported"] += verdict == "unsupported"
            row["unsound"] += want["verdict"] == "reject" and verdict == "accept"
            why = _why(want, verdict, message)
            if why is not None:
                whys[path.name.removesuffix(".bpf.o")][why] += 1
    return rows, whys


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({a / max(b, 1):.1%})"


def _summary(rows: dict) -> list[str]:
    out = []
    for label, pick in (("all", lambda n: True),
                        ("verifier_* suites", lambda n: n.startswith("verifier_")),
                        ("kfunc and other families", lambda n: not n.startswith("verifier_"))):
        t = Counter()
        for name, row in rows.items():
            if pick(name):
                t.update(row)
        out.append(f"- **{label}**: verdict {_pct(t['agree'], t['judged'])}, first error "
                   f"{_pct(t['message'], t['rejects'])} of kernel rejects, unsupported "
                   f"{_pct(t['unsupported'], t['judged'])}, unsound {t['unsound']}.")
    return out


def _families(rows: dict, whys: dict) -> list[str]:
    out = ["| family (object) | verdict | first error | why (programs) |", "|---|---:|---:|---|"]
    for name in sorted(rows):
        r = rows[name]
        if r["agree"] == r["judged"] and r["message"] == r["rejects"]:
            continue
        top = "; ".join(f"{why} ({n})" for why, n in whys[name].most_common(2))
        out.append(f"| {name} | {r['agree']}/{r['judged']} | {r['message']}/{r['rejects']} | "
                   f"{top.replace('|', '/')} |")
    return out


def main(argv: list[str]) -> None:
    rows, whys = _score(argv[0], argv[1])
    if len(argv) > 3 and argv[2] == "--model":
        path = Path(argv[3])
        text = path.read_text()
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        body = "\n".join(["", *_summary(rows), "", *_families(rows, whys), ""])
        path.write_text(head + BEGIN + "\n" + body + END + tail)
        return
    out = ["# kfunclab on the Linux BPF selftests", "",
           "The Linux 6.12 BPF selftests (`../shared/selftests`, built with clang-16) verified "
           "by kfunclab and compared with the running kernel's answers (6.18.44), program by "
           "program. *judged*: programs the kernel accepted or rejected; *verdict*: kfunclab "
           "gave the same verdict; *first error*: kernel rejects where kfunclab's first error "
           "is the kernel's line; *unsupported*: kfunclab answered `unsupported` (something it "
           "does not model, named); *unsound*: kernel rejects, kfunclab accepts (must be 0). "
           "Regenerate with `python scripts/selftests_table.py OBJ_DIR EXPECTED.json`; "
           "`tests/test_selftests_corpus.py` keeps the floor.", "", *_summary(rows), "",
           "## Per object", "",
           "| object | judged | verdict | first error | unsupported | unsound | why not (top 2) |",
           "|---|---:|---:|---:|---:|---:|---|"]
    for name in sorted(rows):
        r = rows[name]
        top = "; ".join(f"{why} ({n})" for why, n in whys[name].most_common(2))
        out.append(f"| {name} | {r['judged']} | {r['agree']} | {r['message']}/{r['rejects']} | "
                   f"{r['unsupported']} | {r['unsound']} | {top.replace('|', '/')} |")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
