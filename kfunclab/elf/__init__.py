"""BPF ELF objects (``clang -target bpf``) read and verified the way libbpf loads them.

:func:`verify_object` reads an object with pyelftools, links every program as libbpf does
(subprograms appended, maps, global data, externs, CO-RE relocations resolved against the BTF
in use) and verifies each on its own, as ``BPF_PROG_LOAD`` would.

>>> from kfunclab.elf import verify_object  # doctest: +SKIP
>>> [(r.program, r.verdict) for r in verify_object("prog.bpf.o")]  # doctest: +SKIP
[('handle_new_task', 'accept')]
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from pathlib import Path

from kfunclab.elf.load import ObjectProgram, object_programs
from kfunclab.elf.objfile import ObjectError, is_elf, read_object
from kfunclab.errors import KfunclabError
from kfunclab.isa.program import Program
from kfunclab.verifier.result import Stats, VerificationResult

__all__ = ["ObjectError", "ObjectProgram", "ObjectProgramResult", "is_elf", "object_programs",
           "read_object", "verify_object"]


@dataclass(frozen=True)
class ObjectProgramResult:
    """The verdict on one program of an object.

    ``result`` is None when libbpf would refuse the object before the kernel sees the program
    (``verdict`` is then ``"error"`` and ``error`` libbpf's reason).
    """

    file: str
    program: str
    section: str
    prog_type: str | None
    result: VerificationResult | None
    error_text: str | None = None

    @property
    def verdict(self) -> str:
        return self.result.verdict.value if self.result is not None else "error"

    def to_json(self) -> dict:
        """The ``verify --json`` record of this program (``file``, ``program``, ``section`` ...)."""
        if self.result is None:
            return {"file": self.file, "program": self.program, "section": self.section,
                    "prog_type": self.prog_type, "verdict": "error", "error": self.error_text,
                    "insn": None, "processed_insns": None}
        record = self.result.to_json(self.file)
        record = {"file": self.file, "program": self.program, **record}
        record["section"] = self.section
        record["prog_type"] = self.prog_type
        return record


def verify_object(path: str | Path, programs: Collection[str] | None = None,
                  **options: object) -> list[ObjectProgramResult]:
    """Verify every program of the BPF object at ``path``; ``options`` go to ``verify()``.

    ``programs``: only those (ELF function names), in the object's order — what ``verify
    --jobs N`` gives each process. Raises :class:`ObjectError` for a file that is not a BPF
    ELF object.
    """
    from kfunclab.verifier.api import resolve_btf, verify

    kernel = resolve_btf(str(options.get("btf", "default")))
    out = []
    for item in object_programs(path, kernel, programs):  # type: ignore[arg-type]
        prog = item.program
        if prog is None:
            out.append(ObjectProgramResult(str(path), item.name, item.section, None, None,
                                           item.error))
            continue
        result = _verify_one(prog, verify, options)
        if result.verdict.value == "accept" or _exc_cb_called_directly(prog, result):
            # do_check_subprogs() comes before check_max_stack_depth(), which refuses a direct
            # call of the exception callback: a called global's error is printed first
            result = _verify_called_globals(prog, result, item.globals, verify, options)
        out.append(ObjectProgramResult(str(path), item.name, item.section, prog.prog_type_name,
                                       result))
    return out


def _exc_cb_called_directly(prog: Program, result: VerificationResult) -> bool:
    """``result`` is check_max_stack_depth_subprog()'s refusal of a direct call of the
    program's exception callback, found after the main program's walk."""
    from kfunclab.verifier.messages import EXC_CB_CALLED_DIRECTLY

    err = result.error
    return bool(prog.exception_callback) and err is not None and err.insn is not None \
        and err.message == EXC_CB_CALLED_DIRECTLY.format(insn=err.insn)


def _called_globals(prog: Program, result: VerificationResult) -> set[str]:
    """The global functions whose call ``result``'s exploration reached."""
    from kfunclab.isa.insn import Call, CallKind

    names = set()
    for slot, ins in prog.instructions():
        if isinstance(ins, Call) and ins.kind is CallKind.SUBPROG and result.visits.get(slot):
            target = prog.global_funcs.get(slot + 1 + ins.imm)
            if target is not None:
                names.add(target[0])
    return names


def _verify_called_globals(prog: Program, result: VerificationResult,
                           subs: tuple[Program, ...], verify: Callable[..., VerificationResult],
                           options: dict[str, object]) -> VerificationResult:
    """``do_check_subprogs()``: after the main program, each global function whose call was
    reached (``aux->called``), in passes until no new one is; one that is never called is
    never verified (a call guarded by a constant false branch is dead code)."""
    called = _called_globals(prog, result)
    if prog.exception_callback:  # "exception callback is presumed to be always called"
        called.add(prog.exception_callback)
    done: list[VerificationResult] = []
    depths = _depths_by_name(prog, result, {})
    stats = result.stats  # one load: the kernel's counters run on across the verifications
    while True:
        todo = [sub for sub in subs
                if sub.name in called and sub.name not in {r.program.name for r in done}]
        if not todo:
            return _check_call_chains(prog, _with_globals_log(result, done, stats), depths)
        for sub in todo:
            sub_result = _verify_one(sub, verify, {**options, "resume": stats})
            stats = sub_result.stats
            if sub_result.verdict.value != "accept":
                return sub_result
            done.append(sub_result)
            called |= _called_globals(sub, sub_result)
            depths = _depths_by_name(sub, sub_result, depths)


def _with_globals_log(result: VerificationResult, done: list[VerificationResult],
                      stats: Stats) -> VerificationResult:
    """The main program's accepted result once the global functions ``done`` (in the order
    verified) are: ``stats`` are the load's (the counters run on across ``do_check_common()``
    calls), and a level-1 log, which every successful walk resets, keeps only the last
    ``Func#N ('f') is safe for any args that match its prototype`` line (do_check_subprogs())
    and the summary."""
    if not done:
        return result
    out = replace(result, stats=stats)
    if result.log_level == 1:
        last = done[-1].program
        number = last.func_numbers.get(last.name or "", 0)
        # what the main program's level-1 log keeps after its walk: an error found after the
        # walks (its text may run into the summary), then the summary
        *before, tail = result.log_lines or ("",)
        body = tail.removesuffix(result.stats.summary_line())
        out = replace(out, log_lines=(f"Func#{number} ('{last.name}') is safe for any args "
                                      "that match its prototype", *before,
                                      body + stats.summary_line()))
    elif result.log_lines and result.log_lines[-1] == result.stats.summary_line():
        out = replace(out, log_lines=(*result.log_lines[:-1], stats.summary_line()))
    return out


def _depths_by_name(prog: Program, result: VerificationResult,
                    depths: dict[str, int]) -> dict[str, int]:
    """``depths`` grown by the stack depths ``result``'s walk gave ``prog``'s subprograms:
    one subprogram's ``stack_depth`` is the deepest any verification gave it."""
    out = dict(depths)
    names = {0: prog.name or "", **prog.func_names}
    for start, depth in result.stack_depths.items():
        name = names.get(start)
        if name is not None:
            out[name] = max(out.get(name, 0), depth)
    return out


def _check_call_chains(prog: Program, result: VerificationResult,
                       depths: dict[str, int]) -> VerificationResult:
    """``check_max_stack_depth()`` after ``do_check_subprogs()``: chains through global
    functions, with the depths every verification recorded."""
    from kfunclab.verifier.chaindepth import check_call_chains
    from kfunclab.verifier.result import Verdict

    if not prog.global_funcs:
        return result
    error = check_call_chains(prog, depths, {0: prog.name or "", **prog.func_names})
    if error is None:
        return result
    lines = result.log_lines
    if result.log_level:  # check_max_stack_depth() prints before the summary
        lines = (*lines[:-1], error.message, *lines[-1:])
    return replace(result, verdict=Verdict.REJECT, error=error, rejected=(error,),
                   log_lines=lines)


def _verify_one(prog: Program, verify: Callable[..., VerificationResult],
                options: dict[str, object]) -> VerificationResult:
    """``verify(prog)``; a kfunclab failure answers ``unsupported`` naming it, never a trace."""
    try:
        return verify(prog, **options)
    except KfunclabError as exc:
        why = f"kfunclab cannot verify this program: {exc}"
    except Exception as exc:
        why = (f"kfunclab failed on this program ({type(exc).__name__}: {exc}); "
               "this is a kfunclab bug")
    return verify(replace(prog, unsupported=why), **options)
