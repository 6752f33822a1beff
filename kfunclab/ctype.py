"""C types as plain values: what a kfunc prototype needs to say about its parameters and return.

Both the BTF reader (:mod:`kfunclab.btf`) and the C declaration parser (:mod:`kfunclab.kfuncs`)
produce these, so a kfunc typed from the doc's C text and one read from vmlinux BTF look alike.
Struct *layouts* (members and offsets) are the BTF model's business, not this one's.

>>> ptr_to(struct("task_struct")).spelling()
'struct task_struct *'
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    VOID = "void"
    INT = "int"
    ENUM = "enum"
    PTR = "ptr"
    STRUCT = "struct"
    UNION = "union"
    FUNC = "func"  # a function prototype (only behind a pointer)
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CType:
    """A C type: ``kind``, a ``name`` (``u32``, ``task_struct``), ``size`` in bytes."""

    kind: Kind
    name: str = ""
    size: int = 0
    signed: bool = False
    target: CType | None = None  # pointee, for PTR
    const: bool = False
    tags: tuple[str, ...] = ()  # BTF type tags such as "__user", "percpu", "kptr"

    @property
    def is_pointer(self) -> bool:
        return self.kind is Kind.PTR

    @property
    def is_scalar(self) -> bool:
        """An integer or enum (what the kernel's ``btf_type_is_scalar`` accepts)."""
        return self.kind in (Kind.INT, Kind.ENUM)

    @property
    def is_void_pointer(self) -> bool:
        return self.kind is Kind.PTR and self.target is not None and self.target.kind is Kind.VOID

    @property
    def pointee_struct(self) -> str | None:
        """The struct name for ``struct X *``, else None."""
        if self.kind is Kind.PTR and self.target is not None and self.target.kind is Kind.STRUCT:
            return self.target.name
        return None

    def spelling(self) -> str:
        """The type as C writes it (``struct task_struct *``, ``u32``, ``void``)."""
        if self.kind is Kind.PTR:
            inner = self.target.spelling() if self.target else "void"
            return f"{inner} *" if not inner.endswith("*") else f"{inner}*"
        prefix = "const " if self.const else ""
        if self.kind in (Kind.STRUCT, Kind.UNION, Kind.ENUM):
            return f"{prefix}{self.kind.value} {self.name}"
        if self.kind is Kind.VOID:
            return f"{prefix}void"
        return f"{prefix}{self.name}"

    def kernel_kind_name(self) -> str:
        """The BTF kind word the kernel prints in messages (``STRUCT``, ``INT``, ``PTR``).

        ``btf_type_str()`` indexes ``btf_kind_str[]`` by the BTF kind; void is kind 0, which
        prints as ``UNKNOWN`` (there is no "VOID" kind).
        """
        names = {Kind.STRUCT: "STRUCT", Kind.UNION: "UNION", Kind.INT: "INT", Kind.ENUM: "ENUM",
                 Kind.PTR: "PTR", Kind.FUNC: "FUNC_PROTO"}
        return names.get(self.kind, "UNKNOWN")

    def kernel_type_name(self) -> str:
        """The name the kernel prints beside the kind word: empty for void (name_off 0)."""
        return "" if self.kind is Kind.VOID else self.name


VOID = CType(Kind.VOID, "void")


def integer(name: str, size: int, signed: bool) -> CType:
    return CType(Kind.INT, name, size, signed)


def struct(name: str, size: int = 0) -> CType:
    return CType(Kind.STRUCT, name, size)


def ptr_to(target: CType, tags: tuple[str, ...] = ()) -> CType:
    return CType(Kind.PTR, "", 8, target=target, tags=tags)


#: The integer names kernel and program C text use, with size and signedness.
INTEGER_TYPES: dict[str, tuple[int, bool]] = {
    "u8": (1, False), "u16": (2, False), "u32": (4, False), "u64": (8, False),
    "s8": (1, True), "s16": (2, True), "s32": (4, True), "s64": (8, True),
    "__u8": (1, False), "__u16": (2, False), "__u32": (4, False), "__u64": (8, False),
    "__s8": (1, True), "__s16": (2, True), "__s32": (4, True), "__s64": (8, True),
    "char": (1, True), "unsigned char": (1, False), "signed char": (1, True),
    "short": (2, True), "unsigned short": (2, False),
    "int": (4, True), "unsigned int": (4, False), "unsigned": (4, False),
    "long": (8, True), "unsigned long": (8, False),
    "long long": (8, True), "unsigned long long": (8, False),
    "bool": (1, False), "_Bool": (1, False),
    "pid_t": (4, True), "size_t": (8, False), "ssize_t": (8, True), "gfp_t": (4, False),
}
