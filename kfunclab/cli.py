"""The ``kfunclab`` command: verify program files, show their encoding, draw their CFG.

    kfunclab verify FILE.s|FILE.bpf.c [...] [--json] [--log-level 0|1|2] [--btf live|bundled|PATH]
    kfunclab asm FILE.s --hex
    kfunclab cfg FILE.s --dot OUT.dot | --png OUT.png

Exit status of ``verify``: 0 when every file is accepted, 1 when any is rejected, 2 on input
errors (a file that is not a program).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from kfunclab.errors import KfunclabError


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="kfunclab", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="verify program files as the Linux 6.18 verifier would")
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
    v.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="verify the files in N processes (output stays in input order)")
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
    if args.command == "asm":
        return _asm(args)
    if args.command == "probe":
        return _probe(args)
    return _cfg(args)


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
    from kfunclab.isa.parser import parse_file
    from kfunclab.verifier import verify

    try:
        args.profile = resolve_profile(args.profile)
    except KfunclabError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if getattr(args, "jobs", 1) > 1 and len(args.files) > 1:
        return _verify_jobs(args)
    status = 0
    for file in args.files:
        if file.endswith(".c"):
            status = max(status, _verify_c(file, args))
            continue
        try:
            program = parse_file(file)
            result = verify(program, btf=args.btf, profile=args.profile,
                            catalog=args.kfuncs or args.catalog, collect_all=args.all_errors,
                            **_verify_options(args))
        except (KfunclabError, OSError) as exc:
            text = str(exc) if isinstance(exc, KfunclabError) else f"{file}: {exc.strerror}"
            if args.json:
                print(json.dumps({"file": file, "verdict": "error", "error": text,
                                  "insn": None}))
            else:
                print(text, file=sys.stderr)
            status = max(status, 2)
            continue
        if result.verdict.value == "reject":
            status = max(status, 1)
        if args.json:
            record = result.to_json(file)
            record["prog_type"] = _prog_type_name(program.section)
            print(json.dumps(record))
            continue
        if args.log_level:
            print(result.log)
        _print_human(file, result, args.all_errors)
    return status


def _verify_options(args: argparse.Namespace) -> dict:
    """What ``verify()`` must produce for the CLI's output: the log only when printed, and
    never the per-step recording (no view draws it). The JSON and the human lines come from
    the diagnostic and the counters, which are the same either way (tests/test_cli_speed.py)."""
    return {"log_level": args.log_level, "max_recorded_steps": 0}


def _verify_jobs(args: argparse.Namespace) -> int:
    """``verify --jobs N``: one file per task over N processes, printed in input order."""
    from concurrent.futures import ProcessPoolExecutor

    status = 0
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for code, out, err in pool.map(_verify_captured, [(args, f) for f in args.files]):
            sys.stdout.write(out)
            sys.stderr.write(err)
            sys.stdout.flush()
            status = max(status, code)
    return status


def _verify_captured(task: tuple[argparse.Namespace, str]) -> tuple[int, str, str]:
    """Verify one file as ``verify`` does, returning its exit status, stdout and stderr."""
    import contextlib
    import io

    args, file = task
    one = argparse.Namespace(**{**vars(args), "files": [file], "jobs": 1})
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
    cfg = build_cfg(program)
    if args.dot:
        from kfunclab.viz.dot import cfg_to_dot

        with open(args.dot, "w") as fh:
            fh.write(cfg_to_dot(cfg))
        return 0
    from kfunclab.viz.cfg import draw_cfg

    fig = draw_cfg(cfg)
    fig.savefig(args.png, dpi=120, bbox_inches="tight")
    return 0


def _verify_c(file: str, args: argparse.Namespace) -> int:
    """Compile a BPF C file (kfunclab.cc), then verify every program of the object."""
    from kfunclab.cc import compile_file

    def fail(text: str, verdict: str = "error") -> int:
        if args.json:
            print(json.dumps({"file": file, "verdict": verdict, "error": text, "insn": None}))
        else:
            print(text, file=sys.stderr)
        return 2

    try:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="kfunclab-") as tmp:
            obj = compile_file(file, f"{tmp}/prog.bpf.o", btf=args.btf)
            try:
                from kfunclab.elf import verify_object
            except ImportError:
                return fail(f"{file}: unsupported: compiled, but verifying a BPF object needs "
                            f"kfunclab.elf (ELF object reading), which this build lacks",
                            "unsupported")
            results = verify_object(obj.path, btf=args.btf, profile=args.profile,
                                    catalog=args.kfuncs or args.catalog,
                                    log_level=max(args.log_level, 1),
                                    collect_all=args.all_errors)
    except KfunclabError as exc:
        return fail(str(exc))
    status = 0
    for item in results:
        status = max(status, {"reject": 1, "error": 2}.get(item.verdict, 0))
        if args.json:
            print(json.dumps(dict(item.to_json(), file=file)))
        elif item.result is None:
            print(f"{file}:{item.program}: error: {item.error_text}")
        else:
            if args.log_level:
                print(item.result.log)
            _print_human(f"{file}:{item.program}", item.result, args.all_errors)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
