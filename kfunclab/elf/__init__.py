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
from kfunclab.verifier.result import VerificationResult

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
        for sub in item.globals if result.verdict.value == "accept" else ():
            # the kernel verifies each called global function after the main program
            sub_result = _verify_one(sub, verify, options)
            if sub_result.verdict.value != "accept":
                result = sub_result
                break
        out.append(ObjectProgramResult(str(path), item.name, item.section, prog.prog_type_name,
                                       result))
    return out


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
