"""BTF type records as small immutable values, one class per group of kinds.

These mirror ``include/uapi/linux/btf.h``: a :class:`BtfType` subclass per record layout, with the
names the kernel uses (``name_off`` becomes ``name``, ``size_type`` becomes ``size`` or ``type``).
The reader (:mod:`kfunclab.btf.reader`) decodes raw records into them on demand.

>>> Ptr(id=115, kind=BtfKind.PTR, name="", type=114)
Ptr(id=115, kind=<BtfKind.PTR: 2>, name='', type=114)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class BtfKind(IntEnum):
    """``BTF_KIND_*`` from include/uapi/linux/btf.h (0 is the kernel's ``UNKN``, i.e. void)."""

    UNKN = 0
    INT = 1
    PTR = 2
    ARRAY = 3
    STRUCT = 4
    UNION = 5
    ENUM = 6
    FWD = 7
    TYPEDEF = 8
    VOLATILE = 9
    CONST = 10
    RESTRICT = 11
    FUNC = 12
    FUNC_PROTO = 13
    VAR = 14
    DATASEC = 15
    FLOAT = 16
    DECL_TAG = 17
    TYPE_TAG = 18
    ENUM64 = 19

    @property
    def kernel_name(self) -> str:
        """The word ``btf_type_str()`` prints (``STRUCT``, ``INT``; ``UNKNOWN`` for void)."""
        return "UNKNOWN" if self is BtfKind.UNKN else self.name


#: Kinds the kernel skips in ``btf_type_skip_modifiers()``.
MODIFIER_KINDS = frozenset({BtfKind.TYPEDEF, BtfKind.VOLATILE, BtfKind.CONST, BtfKind.RESTRICT,
                            BtfKind.TYPE_TAG})


class IntEncoding(IntEnum):
    """``BTF_INT_*`` encoding bits of an INT."""

    NONE = 0
    SIGNED = 1
    CHAR = 2
    BOOL = 4


class Linkage(IntEnum):
    """``BTF_FUNC_*`` / ``BTF_VAR_*`` linkage (FUNC keeps it in vlen, VAR in its extra word)."""

    STATIC = 0
    GLOBAL = 1
    EXTERN = 2


@dataclass(frozen=True, slots=True)
class BtfType:
    """Fields every record has: its type id, kind and name (``""`` when anonymous)."""

    id: int
    kind: BtfKind
    name: str


@dataclass(frozen=True, slots=True)
class Void(BtfType):
    """Type id 0. Not a record in the blob; ``type_by_id(0)`` returns this."""


@dataclass(frozen=True, slots=True)
class Int(BtfType):
    size: int
    encoding: int
    bits: int
    bit_offset: int

    @property
    def signed(self) -> bool:
        return bool(self.encoding & IntEncoding.SIGNED)


@dataclass(frozen=True, slots=True)
class Float(BtfType):
    size: int


@dataclass(frozen=True, slots=True)
class Ptr(BtfType):
    type: int


@dataclass(frozen=True, slots=True)
class Modifier(BtfType):
    """TYPEDEF, VOLATILE, CONST, RESTRICT and TYPE_TAG: a name (or tag value) over ``type``.

    ``kind_flag`` matters for TYPE_TAG only: set, the tag is an ``__attribute__`` rather than a
    ``btf_type_tag`` (the kernel ignores such tags when walking pointers).
    """

    type: int
    kind_flag: bool = False


@dataclass(frozen=True, slots=True)
class Array(BtfType):
    type: int
    index_type: int
    nelems: int


@dataclass(frozen=True, slots=True)
class Member:
    """One struct/union member; ``bitfield_size`` is 0 unless it is a bitfield."""

    name: str
    type: int
    bit_offset: int
    bitfield_size: int = 0

    @property
    def byte_offset(self) -> int:
        return self.bit_offset // 8


@dataclass(frozen=True, slots=True)
class Composite(BtfType):
    """STRUCT or UNION."""

    size: int
    members: tuple[Member, ...]
    kind_flag: bool = False


@dataclass(frozen=True, slots=True)
class EnumValue:
    name: str
    value: int


@dataclass(frozen=True, slots=True)
class Enum(BtfType):
    """ENUM or ENUM64; ``signed`` is the kind_flag."""

    size: int
    values: tuple[EnumValue, ...]
    signed: bool = False


@dataclass(frozen=True, slots=True)
class Fwd(BtfType):
    is_union: bool


@dataclass(frozen=True, slots=True)
class Func(BtfType):
    type: int  # the FUNC_PROTO
    linkage: Linkage


@dataclass(frozen=True, slots=True)
class Param:
    """A FUNC_PROTO parameter. A trailing ``Param("", 0)`` marks ``...`` (varargs)."""

    name: str
    type: int


@dataclass(frozen=True, slots=True)
class FuncProto(BtfType):
    type: int  # return type, 0 = void
    params: tuple[Param, ...]


@dataclass(frozen=True, slots=True)
class Var(BtfType):
    type: int
    linkage: Linkage


@dataclass(frozen=True, slots=True)
class VarSecinfo:
    type: int
    offset: int
    size: int


@dataclass(frozen=True, slots=True)
class Datasec(BtfType):
    size: int
    vars: tuple[VarSecinfo, ...]


@dataclass(frozen=True, slots=True)
class DeclTag(BtfType):
    """``name`` is the tag value (``bpf_kfunc``); ``component_idx`` -1 tags the type itself."""

    type: int
    component_idx: int
    kind_flag: bool = False


AnyType = (Void | Int | Float | Ptr | Modifier | Array | Composite | Enum | Fwd | Func | FuncProto
           | Var | Datasec | DeclTag)
