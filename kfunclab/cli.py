"""The ``kfunclab`` command: verify program files, show their encoding, draw their CFG.

    kfunclab verify FILE.s [FILE.s ...] [--json] [--log-level 0|1|2] [--btf live|bundled|PATH]
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
    v.add_argument("--profile", default="linux-6.18", help="kernel profile (linux-6.18, doc, "
                   "linux-7.0)")
    v.add_argument("--catalog", default=None, help="kfunc catalogue name")
    v.add_argument("--kfuncs", default=None, metavar="FILE.h",
                   help="a C declarations file of kfuncs (the doc's syntax)")
    v.add_argument("--all-errors", action="store_true",
                   help="explore past the first rejected path and list every one")
    a = sub.add_parser("asm", help="assemble a program file")
    a.add_argument("file", metavar="FILE.s")
    a.add_argument("--hex", action="store_true", help="one instruction per line, as hex bytes")
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
    return _cfg(args)


def _verify(args: argparse.Namespace) -> int:
    from kfunclab.isa.parser import parse_file
    from kfunclab.verifier import verify

    status = 0
    for file in args.files:
        if _is_elf(file):
            status = max(status, _verify_object(file, args))
            continue
        try:
            program = parse_file(file)
            result = verify(program, btf=args.btf, profile=args.profile,
                            catalog=args.kfuncs or args.catalog, log_level=max(args.log_level, 1),
                            collect_all=args.all_errors)
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


def _is_elf(file: str) -> bool:
    from kfunclab.elf import is_elf

    return is_elf(file)


def _verify_object(file: str, args: argparse.Namespace) -> int:
    """Every program of a BPF ELF object: one JSON line (or one line of text) each."""
    from kfunclab.elf import verify_object

    try:
        results = verify_object(file, btf=args.btf, profile=args.profile,
                                catalog=args.kfuncs or args.catalog,
                                log_level=max(args.log_level, 1), collect_all=args.all_errors)
    except KfunclabError as exc:
        if args.json:
            print(json.dumps({"file": file, "verdict": "error", "error": str(exc),
                              "insn": None}))
        else:
            print(str(exc), file=sys.stderr)
        return 2
    status = 0
    for item in results:
        status = max(status, {"reject": 1, "error": 2}.get(item.verdict, 0))
        if args.json:
            print(json.dumps(item.to_json()), flush=True)
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
    for slot, insn in enumerate(program.insns):
        if isinstance(insn, Imm64Tail):
            continue
        data = encode(insn)
        if args.hex:
            chunks = [data[i:i + 8].hex(" ") for i in range(0, len(data), 8)]
            print(f"{slot:5d}: {'  '.join(chunks)}    {format_llvm(insn)}")
        else:
            print(format_llvm(insn))
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
