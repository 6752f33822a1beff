"""Parameter annotations: what a kfunc parameter's *name* tells the verifier.

The kernel reads annotations from the parameter names in BTF: ``btf_param_match_suffix()`` is true
when the name is longer than the suffix and ends with it (``mem__sz`` matches ``__sz``; a
parameter called just ``__sz`` does not). Two scalar names are special as whole names:
``rdonly_buf_size`` and ``rdwr_buf_size`` (``is_kfunc_arg_scalar_with_name()``, an exact
``strcmp``). None of the suffixes is a suffix of another (``__szk`` does not end in ``__k`` or
``__sz``), so a name carries at most one annotation and the order of the kernel's checks never
matters.

A suffix the chosen kernel does not know is just part of the name there: under the ``doc``
profile (about 6.2) ``p__nullable`` is an ordinary parameter.

>>> annotation_of("mem__sz")
<Annotation.SIZE: '__sz'>
>>> annotation_of("buffer__szk"), annotation_of("rdonly_buf_size")
(<Annotation.CONST_SIZE: '__szk'>, <Annotation.RDONLY_BUF_SIZE: 'rdonly_buf_size'>)
"""

from __future__ import annotations

from collections.abc import Collection
from enum import Enum


class Annotation(Enum):
    """A parameter annotation; the value is the suffix (or, for the two special names, the name).

    ``is_kfunc_arg_*`` in ``kernel/bpf/verifier.c`` is the predicate for each one.
    """

    NONE = ""
    SIZE = "__sz"  # is_kfunc_arg_mem_size: size of the preceding pointer argument
    CONST_SIZE = "__szk"  # is_kfunc_arg_const_mem_size: like __sz, and a known constant
    CONSTANT = "__k"  # is_kfunc_arg_constant: scalar that must be a known constant (precise)
    IGNORE = "__ign"  # is_kfunc_arg_ignore: the verifier skips the argument entirely
    UNINIT = "__uninit"  # is_kfunc_arg_uninit: a dynptr the kfunc initialises
    OPTIONAL = "__opt"  # is_kfunc_arg_optional: sized buffer that may be NULL
    NULLABLE = "__nullable"  # is_kfunc_arg_nullable: NULL accepted, exempt from NULL checks
    CONST_STR = "__str"  # is_kfunc_arg_const_str: pointer to a read-only constant string
    MAP = "__map"  # is_kfunc_arg_map: a map pointer (ld_imm64 of a map)
    ALLOC = "__alloc"  # is_kfunc_arg_alloc_obj: an object from bpf_obj_new
    REFCOUNTED_KPTR = "__refcounted_kptr"  # is_kfunc_arg_refcounted_kptr
    IRQ_FLAG = "__irq_flag"  # is_kfunc_arg_irq_flag: stack slot holding saved IRQ flags
    PROG = "__prog"  # is_kfunc_arg_prog: hidden, the verifier passes prog->aux
    RDONLY_BUF_SIZE = "rdonly_buf_size"  # whole name: constant size of a read-only R0 buffer
    RDWR_BUF_SIZE = "rdwr_buf_size"  # whole name: constant size of a writable R0 buffer

    @property
    def is_whole_name(self) -> bool:
        """True for the two annotations matched by the complete parameter name."""
        return self in (Annotation.RDONLY_BUF_SIZE, Annotation.RDWR_BUF_SIZE)

    @property
    def is_size(self) -> bool:
        """``__sz`` or ``__szk``: the size half of a (pointer, size) pair."""
        return self in (Annotation.SIZE, Annotation.CONST_SIZE)

    @property
    def wants_scalar(self) -> bool:
        """Annotations only meaningful on a scalar (integer or enum) parameter."""
        return self in (Annotation.SIZE, Annotation.CONST_SIZE, Annotation.CONSTANT,
                        Annotation.RDONLY_BUF_SIZE, Annotation.RDWR_BUF_SIZE)

    @property
    def wants_pointer(self) -> bool:
        """Annotations only meaningful on a pointer parameter."""
        return self in (Annotation.UNINIT, Annotation.OPTIONAL, Annotation.NULLABLE,
                        Annotation.CONST_STR, Annotation.MAP, Annotation.ALLOC,
                        Annotation.REFCOUNTED_KPTR, Annotation.IRQ_FLAG, Annotation.PROG)


#: Every annotation but NONE, in the kernel's order (docs/kernel-notes.md, section 2).
ALL_ANNOTATIONS: tuple[Annotation, ...] = tuple(a for a in Annotation if a is not Annotation.NONE)


def matches_suffix(name: str, suffix: str) -> bool:
    """``btf_param_match_suffix()``: ``name`` is longer than ``suffix`` and ends with it.

    >>> matches_suffix("p__k", "__k"), matches_suffix("__k", "__k")
    (True, False)
    """
    return len(name) > len(suffix) and name.endswith(suffix)


def annotation_of(name: str, known: Collection[Annotation] | None = None) -> Annotation:
    """The annotation a parameter called ``name`` carries, among ``known`` (default: all).

    >>> annotation_of("task__nullable", known=[Annotation.SIZE])
    <Annotation.NONE: ''>
    """
    candidates = ALL_ANNOTATIONS if known is None else tuple(known)
    for ann in candidates:
        if ann.is_whole_name:
            if name == ann.value:
                return ann
        elif matches_suffix(name, ann.value):
            return ann
    return Annotation.NONE


def strip_annotation(name: str, annotation: Annotation) -> str:
    """The name without its suffix (``mem__sz`` -> ``mem``); whole-name annotations stay."""
    if annotation is Annotation.NONE or annotation.is_whole_name:
        return name
    return name[: -len(annotation.value)]
