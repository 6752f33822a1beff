"""The ``kfunclab`` command: verify program files, show their encoding, draw their CFG.

    kfunclab verify FILE.s [FILE.s ...] [--json] [--log-level 0|1|2] [--btf live|bundled|PATH]
    kfunclab asm FILE.s --hex
    kfunclab cfg FILE.s --dot OUT.dot | --png OUT.png

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
    try:
        if args.command == "asm":
            return _asm(args)
        return _cfg(args)
    except Exception as exc:  # a bug: one line, never a traceback (unless asked for)
        if os.environ.get("KFUNCLAB_DEBUG") == "1":
            raise
        print(f"kfunclab: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


def _verify(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for file in args.files:
        try:
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
                        catalog=args.kfuncs or args.catalog, log_level=max(args.log_level, 1),
                        collect_all=args.all_errors)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
