"""kfunclab on the selftests programs the running kernel refuses before verification.

    python scripts/refused_score.py [--obj-dir DIR] [--expected EXPECTED.json]
                                    [--src PROGS_DIR] [--model docs/model.md] [--json FILE]

This machine's kernel refuses every fentry/fexit/fmod_ret/lsm load before the verifier runs
(EPERM, empty log): the corpus records them as ``refused`` and score.py cannot judge them. The
selftests carry their own expectation in the source: ``__success`` / ``__failure`` and
``__msg("...")`` (tools/testing/selftests/bpf/progs/bpf_misc.h), which test_loader.c checks
against the verifier log, each ``__msg`` searched after the previous one's match. This script
reads those annotations from the C sources (its own parser), runs ``kfunclab verify --json`` on
the refused programs, and compares:

- **verdict**: kfunclab accepts a ``__success`` program, rejects a ``__failure`` one;
- **__msg in first error**: the last ``__msg`` is part of kfunclab's first-error line;
- **__msg in log**: every ``__msg`` is found, in order, in kfunclab's level-2 log (the
  test_loader rule).

Programs without annotations are loaded by a prog_tests/*.c skeleton that is not part of the
corpus; their expectation is listed in ``PROG_TESTS`` below with the test that states it.
With ``--model FILE`` the figures replace the text between the two marker lines of FILE.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this tree's kfunclab, not an installed one
SHARED = Path("/work/shared/selftests")
SRC = SHARED / "src" / "tools" / "testing" / "selftests" / "bpf" / "progs"
BEGIN = "<!-- BEGIN refused programs (scripts/refused_score.py) -->"
END = "<!-- END refused programs -->"

#: Programs of the refused set without ``__success``/``__failure``: the prog_tests/*.c test that
#: loads their skeleton says what the load must give ("accept": open_and_load must succeed).
PROG_TESTS: dict[str, tuple[str, str]] = {
    "test_d_path_check_rdonly_mem": ("reject", "prog_tests/d_path.c: ASSERT_ERR_PTR, the "
                                     "per-cpu ksym is read-only memory bpf_d_path cannot write"),
    "test_d_path_check_types": ("reject", "prog_tests/d_path.c: ASSERT_ERR_PTR, a per-cpu "
                                "pointer is not ringbuf memory"),
}
#: Objects whose prog_tests change the program before loading it: not comparable as they stand.
NOT_COMPARABLE: dict[str, str] = {
    "test_bpf_ma": ("prog_tests/test_bpf_ma.c writes the BTF ids into .rodata (data_btf_ids) "
                    "before loading; the object holds zeros, type id 0, which bpf_obj_new_impl "
                    "refuses ('type ID argument must be of a struct')"),
}
#: every other unannotated program of these objects is loaded by its skeleton and must load
DEFAULT_UNANNOTATED = ("accept", "loaded by its prog_tests skeleton (open_and_load must succeed)")

#: Where an annotation of the 6.12 selftests is not what 6.18's source (or this kernel build,
#: or the loader the corpus was recorded with) gives: kfunclab follows 6.18, and says why here.
DRIFT: dict[str, str] = {
    "iters_task_failure:iter_css_without_lock": (
        "6.18 flags bpf_iter_css_new KF_RCU_PROTECTED (kernel/bpf/helpers.c), so "
        "check_kfunc_call() refuses the _new call first: 'kernel func bpf_iter_css_new requires "
        "RCU critical section protection'"),
    "iters_task_failure:iter_tasks_without_lock": (
        "6.18 flags bpf_iter_task_new KF_RCU_PROTECTED (kernel/bpf/helpers.c): refused at _new"),
    "exceptions_fail:reject_set_exception_cb_bad_ret1": (
        "libbpf 1.5 does not link an uncalled exception callback into the program; the kernel "
        "then says 'exception callback type id not found in func_info', as it does here for "
        "exceptions_fail:reject_exception_cb_type_1..4 (judged)"),
    "test_kfunc_dynptr_param:not_ptr_to_stack": (
        "this kernel build demands trusted pointer arguments of every kfunc (the live profile's "
        "trusted_args_default probe), so NULL is 'Possibly NULL pointer passed to trusted "
        "arg0'; with --profile linux-6.18 kfunclab gives the annotation's message"),
}

_MACRO_PROGS = {"BPF_PROG", "BPF_PROG2", "BPF_KPROBE", "BPF_KRETPROBE", "BPF_KSYSCALL",
                "BPF_UPROBE", "BPF_URETPROBE", "BPF_USDT", "BPF_STRUCT_OPS",
                "BPF_STRUCT_OPS_SLEEPABLE"}


@dataclass(frozen=True)
class Annotations:
    """What one selftest function's annotations ask of a privileged load.

    >>> parse_annotations('SEC("lsm/x") __failure __msg("a" "b") int f(void *c) { return 0; }')
    {'f': Annotations(expect='failure', msgs=('ab',), regex=False)}
    """

    expect: str | None  # "success", "failure" or None (no annotation: a skeleton's program)
    msgs: tuple[str, ...]
    regex: bool  # some message is a __regex: compared as a regular expression


def _strip_comments_keep_strings(text: str) -> list[tuple[str, str]]:
    """C text as tokens ("str", value) for string literals and ("code", text) for the rest,
    comments dropped."""
    out: list[tuple[str, str]] = []
    i, n, code = 0, len(text), []
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            code.append(" ")
        elif c == '"':
            j, buf = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    buf.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(text[j + 1],
                                                                                "\\" + text[j + 1]))
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            out.append(("code", "".join(code)))
            code = []
            out.append(("str", "".join(buf)))
            i = j + 1
        elif c == "'":
            j = text.find("'", i + 2 if text[i + 1:i + 2] == "\\" else i + 1)
            code.append("0")
            i = n if j < 0 else j + 1
        else:
            code.append(c)
            i += 1
    out.append(("code", "".join(code)))
    return out


def _headers(text: str) -> list[list[tuple[str, str]]]:
    """The tokens at brace depth 0 that lead up to each top-level ``{``: a function's
    annotations and signature (or a struct's declaration, dropped later)."""
    heads: list[list[tuple[str, str]]] = []
    cur: list[tuple[str, str]] = []
    depth = 0
    for kind, value in _strip_comments_keep_strings(text):
        if kind == "str":
            if depth == 0:
                cur.append((kind, value))
            continue
        start = 0
        for k, ch in enumerate(value):
            if ch == "{":
                if depth == 0:
                    cur.append(("code", value[start:k]))
                    heads.append(cur)
                    cur = []
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    start = k + 1
                    cur = []
            elif ch == ";" and depth == 0:
                start = k + 1
                cur = []
        if depth == 0:
            cur.append(("code", value[start:]))
    return heads


def _function_name(code: str) -> str | None:
    """The function a header defines: ``int f(...)``, or the first argument of a libbpf
    program macro (``int BPF_PROG(f, ...)``)."""
    code = re.sub(r"\b__\w+\s*\((?:[^()]|\([^()]*\))*\)", " ", code)  # __attr(...), SEC() args
    code = re.sub(r"\bSEC\s*\([^)]*\)", " ", code)
    match = re.search(r"(\w+)\s*\(\s*(\w*)", code)
    if match is None or match.group(1) in {"struct", "union", "enum"}:
        return None
    return match.group(2) if match.group(1) in _MACRO_PROGS else match.group(1)


def parse_annotations(text: str) -> dict[str, Annotations]:
    """Every function of a selftests C file with a ``SEC()``, and its annotations."""
    found: dict[str, Annotations] = {}
    for head in _headers(text):
        code = "".join(v if k == "code" else '"S"' for k, v in head)
        if not re.search(r"\bSEC\s*\(", code):
            continue
        name = _function_name(code)
        if name is None:
            continue
        expect = None
        msgs: list[str] = []
        regex = False
        reading = False  # inside __msg( / __regex(: its string literals are concatenated
        for kind, value in head:
            if kind == "str":
                if reading:
                    msgs[-1] += value
                continue
            if reading and not value.strip():
                continue
            reading = False
            for attr, opens in re.findall(r"\b(__\w+)\b(\s*\(\s*$)?", value):
                if attr in ("__failure", "__success"):
                    expect = attr[2:]
                elif attr in ("__msg", "__regex") and opens:
                    msgs.append("")
                    regex = regex or attr == "__regex"
                    reading = True
        found[name] = Annotations(expect, tuple(msgs), regex)
    return found


def msgs_in_log(msgs: tuple[str, ...], log: str, regex: bool = False) -> bool:
    """test_loader.c's rule: each message is found after the previous one's match."""
    pos = 0
    for m in msgs:
        if regex:
            hit = re.compile(m).search(log, pos)
            if hit is None:
                return False
            pos = hit.end()
            continue
        at = log.find(m, pos)
        if at < 0:
            return False
        pos = at + len(m)
    return True


@dataclass(frozen=True)
class Row:
    obj: str
    program: str
    section: str
    expect: str  # "accept" or "reject"
    source: str  # "annotation" or the prog_tests reason
    msgs: tuple[str, ...]
    verdict: str
    error: str
    msg_in_error: bool | None
    msg_in_log: bool | None

    @property
    def agrees(self) -> bool:
        return self.verdict == self.expect

    @property
    def drift(self) -> str | None:
        return DRIFT.get(f"{self.obj.removesuffix('.bpf.o')}:{self.program}")


def refused_programs(expected: dict) -> dict[str, list[str]]:
    """Object base name -> the functions the kernel refused before verification."""
    out: dict[str, list[str]] = defaultdict(list)
    for key, answer in expected.items():
        if answer.get("verdict") == "refused":
            obj, func = key.split(":")
            out[Path(obj).name].append(func)
    return dict(out)


def _kfunclab_json(obj_dir: Path, objs: list[str]) -> dict[tuple[str, str], dict]:
    cmd = [sys.executable, "-m", "kfunclab.cli", "verify", "--json",
           *[str(obj_dir / o) for o in objs]]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    out = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            rec = json.loads(line)
            out[(Path(rec["file"]).name, rec.get("program", ""))] = rec
    return out


def _kfunclab_logs(path: Path, funcs: list[str]) -> dict[str, str]:
    """kfunclab's level-2 log of each program (the __msg matches search it)."""
    from kfunclab.cli import resolve_profile
    from kfunclab.elf import verify_object

    logs = {}
    for item in verify_object(path, funcs, profile=resolve_profile("auto"), log_level=2):
        res = item.result
        logs[item.program] = "" if res is None else "\n".join(res.log_lines) + "\n" + (
            res.error.message if res.error else "")
    return logs


def score(obj_dir: Path, expected: dict, src: Path = SRC) -> list[Row]:
    """Every refused program with an expectation, and what kfunclab says of it."""
    progs = refused_programs(expected)
    answers = _kfunclab_json(obj_dir, sorted(progs))
    rows = []
    for obj, funcs in sorted(progs.items()):
        stem = obj.removesuffix(".bpf.o")
        source = src / f"{stem}.c"
        notes = parse_annotations(source.read_text()) if source.is_file() else {}
        logs = _kfunclab_logs(obj_dir / obj, funcs)
        for func in sorted(funcs):
            ann = notes.get(func, Annotations(None, (), False))
            if ann.expect is not None:
                expect = "accept" if ann.expect == "success" else "reject"
                why = "annotation"
            elif stem in NOT_COMPARABLE:
                expect, why = "n/a", NOT_COMPARABLE[stem]
            else:
                expect, why = PROG_TESTS.get(stem, DEFAULT_UNANNOTATED)
            rec = answers.get((obj, func), {"verdict": "missing", "error": None})
            error = rec.get("error") or ""
            in_err = in_log = None
            if ann.msgs and expect == "reject":
                last = ann.msgs[-1]
                in_err = bool(re.search(last, error)) if ann.regex else last in error
                in_log = msgs_in_log(ann.msgs, logs.get(func, ""), ann.regex)
            rows.append(Row(obj, func, rec.get("section", ""), expect, why, ann.msgs,
                            rec["verdict"], error, in_err, in_log))
    return rows


def figures(rows: list[Row]) -> dict[str, tuple[int, int]]:
    """(agreeing, judged) per figure (programs without an expectation left out)."""
    rows = [r for r in rows if r.expect != "n/a"]
    ann = [r for r in rows if r.source == "annotation"]
    with_msg = [r for r in ann if r.msg_in_log is not None]
    return {
        "verdict (all, annotations and prog_tests)": (sum(r.agrees for r in rows), len(rows)),
        "verdict (annotated)": (sum(r.agrees for r in ann), len(ann)),
        "__msg in first error": (sum(bool(r.msg_in_error) for r in with_msg), len(with_msg)),
        "__msg in log, in order": (sum(bool(r.msg_in_log) for r in with_msg), len(with_msg)),
        "__msg in log, or 6.18 differs (DRIFT)": (
            sum(bool(r.msg_in_log) or r.drift is not None for r in with_msg), len(with_msg)),
        "unsupported": (sum(r.verdict == "unsupported" for r in rows), len(rows)),
        "unsound (expected reject, kfunclab accepts)": (
            sum(r.expect == "reject" and r.verdict == "accept" for r in rows), len(rows)),
    }


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100.0 * a / b:.1f}%)" if b else f"{a}/0"


def summary(rows: list[Row]) -> list[str]:
    return [f"- **{name}**: {_pct(a, b)}" for name, (a, b) in figures(rows).items()]


def table(rows: list[Row], only_disagreeing: bool = False) -> list[str]:
    out = ["| program | expected | kfunclab | __msg in error / log | kfunclab's first error "
           "(or why 6.18 differs) |", "|---|---|---|---|---|"]
    for r in rows:
        ok_msg = r.msg_in_log is not False  # test_loader's rule: the log, in order
        if (only_disagreeing and r.agrees and ok_msg) or (only_disagreeing and r.expect == "n/a"):
            continue
        if r.expect == "n/a":
            out.append(f"| {r.obj.removesuffix('.bpf.o')}:{r.program} | not compared | "
                       f"{r.verdict} | - | {r.source} |")
            continue
        mark = "-" if r.msg_in_log is None else f"{'yes' if r.msg_in_error else 'no'} / " \
            f"{'yes' if r.msg_in_log else 'no'}"
        out.append(f"| {r.obj.removesuffix('.bpf.o')}:{r.program} | {r.expect} "
                   f"({'ann.' if r.source == 'annotation' else 'prog_tests'}) | {r.verdict} | "
                   f"{mark} | {r.error.replace('|', '/')[:110]}"
                   f"{' — differs: ' + r.drift if r.drift else ''} |")
    return out


def write_model(path: Path, rows: list[Row]) -> None:
    text = path.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path}: no {BEGIN!r} ... {END!r} markers")
    body = ["", *summary(rows), "", "Programs where kfunclab and the annotations differ:", "",
            *table(rows, only_disagreeing=True), ""]
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(head + BEGIN + "\n".join(body) + "\n" + END + tail)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--obj-dir", type=Path, default=Path("/work/selftests-obj"))
    ap.add_argument("--expected", type=Path, default=None,
                    help="the kernel's answers (default: OBJ_DIR/expected.json)")
    ap.add_argument("--src", type=Path, default=SRC, help="the selftests' progs/ folder")
    ap.add_argument("--model", type=Path, help="write the figures between its markers")
    ap.add_argument("--json", type=Path, help="write the per-program rows as JSON")
    args = ap.parse_args(argv)
    expected = json.loads((args.expected or args.obj_dir / "expected.json").read_text())
    rows = score(args.obj_dir, expected, args.src)
    print("\n".join(summary(rows)))
    print()
    print("\n".join(table(rows)))
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in rows], indent=1))
    if args.model:
        write_model(args.model, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
