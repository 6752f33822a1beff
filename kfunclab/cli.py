"""The ``kfunclab`` command: verify program files, show their encoding, draw their CFG.

    kfunclab verify FILE.s|FILE.bpf.c [...] [--json] [--log-level 0|1|2] [--btf live|bundled|PATH]
    kfunclab asm FILE.s --hex
    kfunclab cfg FILE.s --dot OUT.dot | --png OUT.png
    kfunclab log FILE.log [--json]
    kfunclab verify --compare-log KERNEL.log FILE.s

Exit status (see EXIT_CODES): the highest-ranked outcome over all files wins.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from kfunclab.errors import KfunclabError

#: Exit statuses of ``kfunclab verify``, in the order of precedence when files differ
#: (4 > 2 > 1 > 3 > 0): a bug outranks bad input, bad input outranks a verdict, a rejection
#: outranks "not modelled".
EXIT_OK, EXIT_REJECT, EXIT_INPUT, EXIT_UNSUPPORTED, EXIT_INTERNAL = 0, 1, 2, 3, 4
_RANK = {EXIT_OK: 0, EXIT_UNSUPPORTED: 1, EXIT_REJECT: 2, EXIT_INPUT: 3, EXIT_INTERNAL: 4}
EXIT_CODES = """exit status:
  0  every program accepted
  1  some program rejected (the kernel's verdict)
  2  input error: a file that is not a program (parse, section, BTF, kfunc file, I/O)
  3  some program 'unsupported' (kfunclab does not model it) and none rejected
  4  internal error: a bug in kfunclab (set KFUNCLAB_DEBUG=1 for the traceback)
when files differ the highest-ranked status wins: 4 > 2 > 1 > 3 > 0"""


def _worse(a: int, b: int) -> int:
    """The status of higher precedence (see EXIT_CODES)."""
    return a if _RANK[a] >= _RANK[b] else b


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="kfunclab", description=__doc__.splitlines()[0],
                                 epilog=EXIT_CODES,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="verify program files as the Linux 6.18 verifier would",
                       epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    v.add_argument("files", nargs="+", metavar="FILE.s")
    v.add_argument("--json", action="store_true", help="one JSON object per file (JSON Lines)")
    v.add_argument("--log-level", type=int, choices=(0, 1, 2), default=0,
                   help="print the verifier log (1: instructions, 2: also states)")
    v.add_argument("--btf", default="auto", help="live, bundled or a path (default: auto)")
    v.add_argument("--profile", default="auto", help="kernel profile: auto (default: live "
                   "where the running kernel can be probed, else linux-6.18), live, linux-6.18, "
                   "doc, linux-7.0")
    v.add_argument("--catalog", default=None, help="kfunc catalogue name")
    v.add_argument("--kfuncs", default=None, metavar="FILE.h",
                   help="a C declarations file of kfuncs (the doc's syntax)")
    v.add_argument("--all-errors", action="store_true",
                   help="explore past the first rejected path and list every one")
    v.add_argument("--program", metavar="NAME", default=None,
                   help="with an object (.o/.c): only the program of this function name")
    v.add_argument("--compare-log", metavar="FILE.log", default=None,
                   help="line the kernel's verifier log up with kfunclab's walk (log level 2) "
                        "and show the first step where they differ")
    v.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="verify the files, and the programs of object files, in N processes "
                        "(output stays in input order)")
    lg = sub.add_parser("log", help="read a kernel verifier log (level 1 or 2)")
    lg.add_argument("file", metavar="FILE.log", help="the log ('-': standard input)")
    lg.add_argument("--json", action="store_true", help="one JSON object")
    lg.add_argument("--section", default="", help="the program's section, for the views")
    p = sub.add_parser("probe", help="ask the running kernel what it does (the live profile)")
    p.add_argument("--refresh", action="store_true", help="probe again, even if cached")
    p.add_argument("--diff", metavar="PROFILE", nargs="?", const="linux-6.18", default=None,
                   help="say what this kernel does differently from PROFILE (linux-6.18)")
    p.add_argument("--json", action="store_true", help="print the probe's findings as JSON")
    a = sub.add_parser("asm", help="assemble a program file")
    a.add_argument("file", metavar="FILE.s")
    a.add_argument("--hex", action="store_true", help="one instruction per line, as hex bytes")
    a.add_argument("--btf", default="auto", help="BTF for bpf_core_type_id_kernel(...): live, "
                   "bundled or a path (default: auto)")
    c = sub.add_parser("cfg", help="the control-flow graph of a program file")
    c.add_argument("file", metavar="FILE.s")
    out = c.add_mutually_exclusive_group(required=True)
    out.add_argument("--dot", metavar="OUT.dot")
    out.add_argument("--png", metavar="OUT.png")
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "verify":
        return _verify(args)
    try:
        if args.command == "asm":
            return _asm(args)
        if args.command == "log":
            return _log(args)
        if args.command == "probe":
            return _probe(args)
        return _cfg(args)
    except Exception as exc:  # a bug: one line, never a traceback (unless asked for)
        if os.environ.get("KFUNCLAB_DEBUG") == "1":
            raise
        print(f"kfunclab: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


def resolve_profile(name: str) -> object:
    """The profile a command-line name means: ``auto`` is ``live`` where the running kernel
    can be probed (probing it once, cached), else ``linux-6.18``; ``live`` probes if needed."""
    if name not in ("auto", "live"):
        return name
    from kfunclab.kernel import kernel_available

    ok, why = kernel_available()
    if not ok:
        if name == "live":
            raise KfunclabError(f"--profile live: cannot probe the running kernel ({why})")
        return "linux-6.18"
    from kfunclab.kernel.probe import ensure_live_profile
    from kfunclab.kfuncs.live import load_live_profile

    return load_live_profile(ensure_live_profile())


def _probe(args: argparse.Namespace) -> int:
    from kfunclab.kernel.probe import ensure_live_profile, read_findings, report

    try:
        findings = read_findings(ensure_live_profile(refresh=args.refresh))
        if args.json:
            print(json.dumps(findings, indent=1, sort_keys=True))
        else:
            print(report(findings, args.diff))
    except (KfunclabError, OSError) as exc:
        print(f"kfunclab probe: {exc}", file=sys.stderr)
        return 2
    return 0


def _verify(args: argparse.Namespace) -> int:
    try:
        args.profile = resolve_profile(args.profile)  # names resolved once, at the door
    except KfunclabError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    if getattr(args, "jobs", 1) > 1:
        tasks = _verify_tasks(args)
        if len(tasks) > 1:
            return _verify_jobs(args, tasks)
    status = EXIT_OK
    for file in args.files:
        try:
            if file.endswith(".c"):
                code = _verify_c(file, args)
            elif _is_elf(file):
                code = _verify_object(file, args)
            else:
                code = _verify_one(file, args)
        except Exception as exc:  # a bug in kfunclab: say so, never a traceback
            if os.environ.get("KFUNCLAB_DEBUG") == "1":
                raise
            text = f"internal error: {type(exc).__name__}: {exc}"
            _print_error(file, text, args.json)
            code = EXIT_INTERNAL
        status = _worse(status, code)
    return status


def _print_error(file: str, text: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"file": file, "verdict": "error", "error": text, "insn": None}))
    else:
        print(f"{file}: {text}" if not text.startswith(file) else text, file=sys.stderr)


def _verify_one(file: str, args: argparse.Namespace) -> int:
    from kfunclab.isa.parser import parse_file
    from kfunclab.verifier import verify

    try:
        program = parse_file(file)
        result = verify(program, btf=args.btf, profile=args.profile,
                        catalog=args.kfuncs or args.catalog, collect_all=args.all_errors,
                        **_verify_options(args))
        if args.compare_log:
            print(_compare_log(args.compare_log, file, result))
            return EXIT_OK
    except (KfunclabError, OSError) as exc:
        text = str(exc) if isinstance(exc, KfunclabError) else f"{exc.strerror or exc}"
        # every line names the program file, whatever the error's own subject (BTF, kfuncs)
        _print_error(file, text if text.startswith(file) else f"{file}: {text}", args.json)
        return EXIT_INPUT
    status = {"reject": EXIT_REJECT, "unsupported": EXIT_UNSUPPORTED}.get(
        result.verdict.value, EXIT_OK)
    if args.json:
        record = result.to_json(file)
        record["prog_type"] = _prog_type_name(program.section)
        print(json.dumps(record))
        return status
    if args.log_level:
        print(result.log)
    _print_human(file, result, args.all_errors)
    return status


def _is_elf(file: str) -> bool:
    from kfunclab.elf import is_elf

    return is_elf(file)


def _verify_object(file: str, args: argparse.Namespace, path: str | None = None) -> int:
    """Every program of a BPF ELF object: one JSON line (or one line of text) each.

    ``path`` is the object to read when it is not ``file`` itself (a ``.c`` file compiled into
    a temporary object); lines always name ``file``.
    """
    from kfunclab.elf import verify_object

    try:
        only = getattr(args, "split_programs", None)  # a task of --jobs N: these programs
        results = verify_object(path or file, only,
                                btf=args.btf, profile=args.profile,
                                catalog=args.kfuncs or args.catalog,
                                collect_all=args.all_errors, **_verify_options(args))
        if args.program is not None:
            results = [r for r in results if r.program == args.program]
            if not results:
                raise KfunclabError(f"{file}: no program named {args.program!r}")
        if args.compare_log:
            if len(results) != 1 or results[0].result is None:
                raise KfunclabError(f"{file}: --compare-log needs one program: name it with "
                                    "--program NAME")
            print(_compare_log(args.compare_log, f"{file}:{results[0].program}",
                               results[0].result))
            return EXIT_OK
    except KfunclabError as exc:
        if args.json:
            print(json.dumps({"file": file, "verdict": "error", "error": str(exc),
                              "insn": None}))
        else:
            print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    status = EXIT_OK
    for item in results:
        status = _worse(status, {"reject": EXIT_REJECT, "error": EXIT_INPUT,
                                 "unsupported": EXIT_UNSUPPORTED}.get(item.verdict, EXIT_OK))
        if args.json:
            print(json.dumps(dict(item.to_json(), file=file)), flush=True)
            continue
        if item.result is None:
            print(f"{file}:{item.program}: error: {item.error_text}")
            continue
        if args.log_level:
            print(item.result.log)
        if item.verdict == "unsupported":
            print(f"{file}:{item.program}: unsupported: {item.result.error.message}")
            continue
        _print_human(f"{file}:{item.program}", item.result, args.all_errors)
    return status


def _verify_options(args: argparse.Namespace) -> dict:
    """What ``verify()`` must produce for the CLI's output: the log only when printed, and
    never the per-step recording (no view draws it). The JSON and the human lines come from
    the diagnostic and the counters, which are the same either way (tests/test_cli_speed.py).
    ``--compare-log`` lines the level-2 log up with the walk: it gets both, in full."""
    if getattr(args, "compare_log", None):
        return {"log_level": 2}
    return {"log_level": args.log_level, "max_recorded_steps": 0}


def _verify_tasks(args: argparse.Namespace) -> list[tuple[str, tuple[str, ...] | None]]:
    """The tasks of ``verify --jobs N``: each file, and an object file's programs in N groups,
    in the order ``verify`` prints them. An object whose programs cannot be listed stays one
    task (its error prints once); ``--program`` and ``--compare-log`` keep objects whole."""
    tasks: list[tuple[str, tuple[str, ...] | None]] = []
    for file in args.files:
        names: list[str] = []
        if args.program is None and not args.compare_log and not file.endswith(".c"):
            try:
                if _is_elf(file):
                    from kfunclab.elf import read_object

                    names = [func.name for func in read_object(file).programs]
            except Exception:  # the task itself reports it, as one file
                names = []
        if len(names) > 1:  # N contiguous groups: each process reads and links only its own
            jobs = min(args.jobs, len(names))
            tasks.extend((file, tuple(names[len(names) * k // jobs:len(names) * (k + 1) // jobs]))
                         for k in range(jobs))
        else:
            tasks.append((file, None))
    return tasks


def _verify_jobs(args: argparse.Namespace,
                 tasks: list[tuple[str, tuple[str, ...] | None]]) -> int:
    """``verify --jobs N``: the tasks (files, programs of objects) over N processes, printed in
    input order: the same lines as one process prints."""
    from concurrent.futures import ProcessPoolExecutor

    status = EXIT_OK
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for code, out, err in pool.map(_verify_captured,
                                       [(args, file, name) for file, name in tasks]):
            sys.stdout.write(out)
            sys.stderr.write(err)
            sys.stdout.flush()
            status = _worse(status, code)
    return status


def _verify_captured(task: tuple[argparse.Namespace, str, tuple[str, ...] | None]
                     ) -> tuple[int, str, str]:
    """Verify one file (or some programs of an object) as ``verify`` does, returning its exit
    status, stdout and stderr."""
    import contextlib
    import io

    args, file, programs = task
    one = argparse.Namespace(**{**vars(args), "files": [file], "jobs": 1,
                                "split_programs": programs})
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = _verify(one)
    return code, out.getvalue(), err.getvalue()


def _prog_type_name(section: str) -> str:
    from kfunclab.progtypes import program_type

    return program_type(section).prog_type.kernel_name


def _print_human(file: str, result: object, all_errors: bool) -> None:
    r = result
    s = r.stats  # type: ignore[attr-defined]
    if r.error is None:  # type: ignore[attr-defined]
        print(f"{file}: accept ({s.processed_insns} insns processed, "
              f"{s.total_states} states)")
        return
    err = r.error  # type: ignore[attr-defined]
    where = f"insn {err.insn}" if err.insn is not None else "before verification"
    print(f"{file}: reject at {where}: {err.message}")
    for line in err.context:
        print(f"    {line}")
    if all_errors:
        for other in r.rejected[1:]:  # type: ignore[attr-defined]
            print(f"    also: insn {other.insn}: {other.message}")


def _read_text(file: str) -> str:
    if file == "-":
        return sys.stdin.read()
    with open(file, encoding="utf-8", errors="replace") as fh:
        return fh.read()


def _log(args: argparse.Namespace) -> int:
    from kfunclab.logs import read_log
    from kfunclab.logs.report import summary_text

    try:
        result = read_log(_read_text(args.file), section=args.section, file=args.file)
    except OSError as exc:
        print(f"{args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_json(args.file)))
    else:
        print(summary_text(result, args.file))
    return 0 if result.accepted else 1


def _compare_log(log_file: str, program_file: str, result: object) -> str:
    from kfunclab.logs import read_log
    from kfunclab.logs.report import compare_text

    try:
        kernel = read_log(_read_text(log_file), file=log_file)
    except OSError as exc:
        raise KfunclabError(f"{log_file}: {exc.strerror}") from None
    own = read_log(result.log, file=program_file)  # type: ignore[attr-defined]
    return compare_text(kernel, own, log_file, program_file)


def _asm(args: argparse.Namespace) -> int:
    from kfunclab.isa.encoding import encode
    from kfunclab.isa.insn import Imm64Tail
    from kfunclab.isa.parser import parse_file
    from kfunclab.isa.printer import format_llvm

    try:
        program = parse_file(args.file)
    except (KfunclabError, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if program.type_ids:
        from kfunclab.btf.relocate import link_type_ids
        from kfunclab.verifier.api import resolve_btf

        try:
            program = link_type_ids(program, resolve_btf(args.btf))  # type: ignore[arg-type]
        except (KfunclabError, OSError) as exc:
            print(str(exc), file=sys.stderr)
            return 2
    for slot, insn in enumerate(program.insns):
        if isinstance(insn, Imm64Tail):
            continue
        data = encode(insn)
        ref = program.type_id_ref(slot)
        note = f"    # {ref.text}" if ref is not None else ""
        if args.hex:
            chunks = [data[i:i + 8].hex(" ") for i in range(0, len(data), 8)]
            print(f"{slot:5d}: {'  '.join(chunks)}    {format_llvm(insn)}{note}")
        else:
            print(format_llvm(insn) + note)
    return 0


def _cfg(args: argparse.Namespace) -> int:
    from kfunclab.isa.parser import parse_file
    from kfunclab.verifier.cfg import build_cfg

    try:
        program = parse_file(args.file)
    except (KfunclabError, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    out = Path(args.dot or args.png)
    if not out.parent.is_dir():  # before drawing: say which directory is missing
        print(f"{out}: cannot write: directory {str(out.parent)!r} does not exist",
              file=sys.stderr)
        return EXIT_INPUT
    cfg = build_cfg(program)
    try:
        if args.dot:
            from kfunclab.viz.dot import cfg_to_dot

            out.write_text(cfg_to_dot(cfg))
            return 0
        from kfunclab.viz.cfg import draw_cfg

        fig = draw_cfg(cfg)
        fig.savefig(out, dpi=120, bbox_inches="tight")
    except OSError as exc:
        print(f"{out}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    return 0


def _verify_c(file: str, args: argparse.Namespace) -> int:
    """Compile a BPF C file (kfunclab.cc), then verify every program of the object."""
    import tempfile

    from kfunclab.cc import compile_file

    with tempfile.TemporaryDirectory(prefix="kfunclab-") as tmp:
        try:
            obj = compile_file(file, f"{tmp}/prog.bpf.o", btf=args.btf)
        except KfunclabError as exc:
            _print_error(file, str(exc), args.json)
            return EXIT_INPUT
        return _verify_object(file, args, str(obj.path))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
