"""kfunc declarations: parameters with their annotations, and the kfunc itself.

A :class:`Kfunc` is a frozen value: a name, parameters, return type, flags, and where it came
from. ``Kfunc.declare`` builds one from C text and checks it against a kernel profile; the plain
constructor builds one without checks (for BTF-derived or hand-built values).

>>> k = Kfunc.declare("struct task_struct *bpf_task_acquire(struct task_struct *p)",
...                   KF.ACQUIRE | KF.RCU | KF.RET_NULL)
>>> k.params[0].name, k.ret.pointee_struct, str(k.flags_text)
('p', 'task_struct', 'KF_ACQUIRE | KF_RET_NULL | KF_RCU')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from kfunclab.ctype import CType, Kind
from kfunclab.errors import DeclarationError
from kfunclab.kfuncs.annotations import Annotation, annotation_of, strip_annotation
from kfunclab.kfuncs.ctext import FuncDecl, parse_function_text
from kfunclab.kfuncs.flags import KF, format_flags, parse_flags
from kfunclab.kfuncs.profiles import DEFAULT_PROFILE, Profile, get_profile

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
NO_FLAGS = KF(0)


@dataclass(frozen=True)
class Param:
    """One kfunc parameter. ``annotation`` defaults to what the name says (all suffixes known).

    >>> from kfunclab.ctype import integer
    >>> Param("local_type_id__k", integer("u32", 4, False)).annotation
    <Annotation.CONSTANT: '__k'>
    """

    name: str
    ctype: CType
    annotation: Annotation = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.annotation is None:
            object.__setattr__(self, "annotation", annotation_of(self.name))

    @classmethod
    def of(cls, name: str, ctype: CType, profile: Profile = DEFAULT_PROFILE) -> Param:
        """A parameter whose annotation is read from ``name`` as ``profile``'s kernel reads it."""
        return cls(name, ctype, annotation_of(name, profile.annotations))

    @property
    def base_name(self) -> str:
        """The name without its annotation suffix (``mem__sz`` -> ``mem``)."""
        return strip_annotation(self.name, self.annotation)

    def c_text(self) -> str:
        """The parameter as C writes it: ``struct task_struct *p``, ``u32 len__sz``."""
        t = self.ctype
        if t.is_pointer and t.target is not None and t.target.kind is Kind.FUNC:
            ret = t.target.target.spelling() if t.target.target else "void"
            return f"{ret} (*{self.name})(...)"
        spelled = t.spelling()
        if not self.name:
            return spelled
        return f"{spelled}{self.name}" if spelled.endswith("*") else f"{spelled} {self.name}"


def _flags_of(flags: KF | str | int, where: str) -> KF:
    if isinstance(flags, str):
        return parse_flags(flags, where)
    return KF(flags)


@dataclass(frozen=True)
class Kfunc:
    """A kernel function callable from BPF programs.

    ``flags`` are the flags of the ID set that registered it; ``btf_id`` is its id in the
    kernel's BTF when known; ``gpl_only`` records that every kfunc call needs a GPL-compatible
    program license ("cannot call kernel function from non-GPL compatible program");
    ``source`` says where the declaration came from (file:line, a catalogue, BTF).
    """

    name: str
    params: tuple[Param, ...]
    ret: CType
    flags: KF = NO_FLAGS
    btf_id: int | None = None
    gpl_only: bool = True
    source: str = ""

    def __post_init__(self) -> None:
        if not _IDENT.match(self.name or ""):
            raise DeclarationError(repr(self.name), "a kfunc name must be a C identifier")
        params = tuple(self.params)
        for p in params:
            if not isinstance(p, Param):
                raise DeclarationError(self.name, f"parameter {p!r} is not a Param")
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "flags", KF(self.flags))

    @classmethod
    def declare(cls, text: str, flags: KF | str | int = NO_FLAGS, *,
                profile: Profile | str | None = None, btf_id: int | None = None,
                source: str = "", file: str = "<declaration>") -> Kfunc:
        """Build a kfunc from one C prototype or definition and check it against ``profile``.

        Raises ParseError for C it cannot read and DeclarationError for a declaration the
        kernel (or the profile) would refuse.

        >>> Kfunc.declare("void bpf_memzero(void *mem, int mem__sz)").params[1].annotation
        <Annotation.SIZE: '__sz'>
        """
        from kfunclab.kfuncs.validate import validate_kfunc

        prof = get_profile(profile)
        decl = parse_function_text(text, file)
        kfunc = from_funcdecl(decl, _flags_of(flags, decl.name), prof, btf_id=btf_id,
                              source=source or f"{file}:{decl.line}")
        validate_kfunc(kfunc, prof)
        return kfunc

    @classmethod
    def build(cls, name: str, params: Iterable[tuple[str, CType]], ret: CType,
              flags: KF | str | int = NO_FLAGS, *, profile: Profile = DEFAULT_PROFILE,
              btf_id: int | None = None, source: str = "") -> Kfunc:
        """Build from (name, CType) pairs (e.g. from BTF), reading annotations as ``profile``
        does; not validated (call :func:`~kfunclab.kfuncs.validate.validate_kfunc`)."""
        return cls(name, tuple(Param.of(n, t, profile) for n, t in params), ret,
                   _flags_of(flags, name), btf_id, True, source)

    def with_flags(self, flags: KF) -> Kfunc:
        return self if flags == self.flags else replace(self, flags=KF(flags))

    @property
    def flags_text(self) -> str:
        """The flags as the kernel writes them, ``0`` for none."""
        return format_flags(self.flags)

    def prototype(self) -> str:
        """C prototype text: ``struct task_struct *bpf_task_acquire(struct task_struct *p)``."""
        ret = self.ret.spelling()
        head = f"{ret}{self.name}" if ret.endswith("*") else f"{ret} {self.name}"
        args = ", ".join(p.c_text() for p in self.params) or "void"
        return f"{head}({args})"

    def __str__(self) -> str:
        return f"{self.prototype()}  [{self.flags_text}]"


def from_funcdecl(decl: FuncDecl, flags: KF, profile: Profile, *, btf_id: int | None = None,
                  source: str = "") -> Kfunc:
    """A Kfunc from a parsed C declaration, annotations read as ``profile``'s kernel reads them."""
    seen: set[str] = set()
    for name, _ in decl.params:
        if name and name in seen:
            raise DeclarationError(decl.name, f"two parameters are called '{name}'; expected "
                                              "distinct names (the verifier reads annotations "
                                              "from them)")
        seen.add(name)
    params = tuple(Param.of(n, t, profile) for n, t in decl.params)
    return Kfunc(decl.name, params, decl.ret, flags, btf_id, True, source)
