"""The kernel's type model: :class:`Btf`, one class for the live BTF and the bundled snapshot.

Everything the verifier asks of vmlinux BTF goes through here: a type by id, an id by name,
sizes, struct members and "what is at offset N of struct S", kfunc prototypes, decl tags and
enums. Values come back as :mod:`kfunclab.btf.types` records or :class:`kfunclab.ctype.CType`.

>>> from kfunclab.btf.testing import tiny_btf
>>> btf = tiny_btf()
>>> btf.find("task_struct", "STRUCT"), btf.describe(btf.struct_id("task_struct"))
((3,), 'STRUCT task_struct')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kfunclab.btf.convert import to_ctype
from kfunclab.btf.reader import RawBtf
from kfunclab.btf.types import (
    MODIFIER_KINDS,
    AnyType,
    Array,
    BtfKind,
    Composite,
    DeclTag,
    Enum,
    Func,
    FuncProto,
    Linkage,
    Member,
    Modifier,
)
from kfunclab.btf.walk import MemberAccess, ids_match, struct_access
from kfunclab.ctype import CType, Kind
from kfunclab.errors import BtfError

# btf_resolve_size() gives up after this many steps, like the kernel's MAX_RESOLVE_DEPTH.
MAX_RESOLVE_DEPTH = 32
_SIZED = frozenset({BtfKind.INT, BtfKind.STRUCT, BtfKind.UNION, BtfKind.ENUM, BtfKind.ENUM64,
                    BtfKind.FLOAT, BtfKind.DATASEC})


@dataclass(frozen=True, slots=True)
class Resolved:
    """A type id with its modifiers peeled off, as ``btf_type_skip_modifiers()`` does.

    ``tags`` are the TYPE_TAG values met on the way (outermost first), ``typedef`` the outermost
    typedef name passed, if any.
    """

    id: int
    tags: tuple[str, ...] = ()
    const: bool = False
    volatile: bool = False
    typedef: str | None = None


@dataclass(frozen=True, slots=True)
class FuncParam:
    """A function parameter: its BTF name, its C type and the BTF type id behind it."""

    name: str
    ctype: CType
    type_id: int


@dataclass(frozen=True, slots=True)
class FuncSignature:
    """A FUNC and its FUNC_PROTO: what a kfunc or attach target looks like.

    >>> from kfunclab.btf.testing import tiny_btf
    >>> tiny_btf().func_proto("bpf_task_acquire").spelling()
    'struct task_struct *bpf_task_acquire(struct task_struct *p)'
    """

    name: str
    btf_id: int
    proto_id: int
    ret: CType
    ret_type_id: int
    params: tuple[FuncParam, ...]
    linkage: Linkage = Linkage.STATIC
    decl_tags: tuple[str, ...] = ()

    @property
    def variadic(self) -> bool:
        return bool(self.params) and self.params[-1].type_id == 0 and not self.params[-1].name

    def spelling(self) -> str:
        """The prototype as C writes it."""
        ret = self.ret.spelling()
        sep = "" if ret.endswith("*") else " "
        args = ", ".join("..." if p.type_id == 0 and not p.name else _param_text(p)
                         for p in self.params)
        return f"{ret}{sep}{self.name}({args or 'void'})"


def _param_text(p: FuncParam) -> str:
    target = p.ctype.target
    if p.ctype.is_pointer and target is not None and target.kind is Kind.FUNC:
        ret, _, args = target.name.partition(" (")  # "int (void *, u64)", see btf.convert
        return f"{ret} (*{p.name})({args}"
    text = p.ctype.spelling()
    return f"{text}{p.name}" if text.endswith("*") else f"{text} {p.name}".rstrip()


class Btf:
    """Kernel BTF: the live ``/sys/kernel/btf/vmlinux`` or the bundled snapshot of it.

    Build one with :func:`kfunclab.btf.load_btf` (cached) or :meth:`from_bytes`. Type ids are the
    kernel's; the snapshot keeps them, leaving out types it does not need and keeping some
    structs reached only through pointers as *stubs* (name, kind and size, no members).

    Parameters
    ----------
    raw:
        The indexed blob.
    origin:
        Human-readable source, e.g. ``"live /sys/kernel/btf/vmlinux"``.
    kernel_release:
        ``uname -r`` of the kernel the types describe, when known.
    stubs:
        Snapshot only: ids kept without their members.
    """

    def __init__(self, raw: RawBtf, origin: str, kernel_release: str | None = None,
                 stubs: frozenset[int] = frozenset(), snapshot: bool = False) -> None:
        self.raw = raw
        self.origin = origin
        self.kernel_release = kernel_release
        self.stubs = stubs
        self.is_snapshot = snapshot
        self.snapshot_meta: dict[str, object] = {}  # what the snapshot file says about itself
        self._kfuncs: tuple[FuncSignature, ...] | None = None
        self._decl_tags: dict[int, list[DeclTag]] | None = None
        self._ctypes: dict[int, CType] = {}

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "<bytes>",
                   kernel_release: str | None = None) -> Btf:
        """Index a raw BTF blob (raises :class:`~kfunclab.errors.BtfError` if malformed)."""
        return cls(RawBtf(data, source), source, kernel_release)

    @classmethod
    def from_file(cls, path: str | Path, kernel_release: str | None = None) -> Btf:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise BtfError(f"cannot read BTF file {path}: {exc.strerror}") from None
        return cls.from_bytes(data, str(path), kernel_release)

    def __len__(self) -> int:
        return len(self.raw)

    def __repr__(self) -> str:
        release = f", kernel {self.kernel_release}" if self.kernel_release else ""
        return f"<Btf {self.origin}: {len(self)} type ids{release}>"

    # -- single types ----------------------------------------------------------------------

    def _check_id(self, type_id: int) -> None:
        if not 0 <= type_id < len(self.raw):
            raise BtfError(f"type id {type_id} is out of range for BTF {self.origin} "
                           f"(0..{len(self.raw) - 1})")
        if type_id and self.raw.kinds[type_id] == 0:
            raise BtfError(f"type id {type_id} is not in the {self.origin}; load the live BTF "
                           f"for it")

    def kind(self, type_id: int) -> BtfKind:
        """The BTF kind of ``type_id`` (``UNKN`` for void), without decoding the record."""
        self._check_id(type_id)
        return self.raw.kind(type_id)

    def name(self, type_id: int) -> str:
        self._check_id(type_id)
        return self.raw.name(type_id)

    type_name = name  # the name other kfunclab modules may know it by

    def kind_name(self, type_id: int) -> str:
        """The kind word ``btf_type_str()`` prints: ``STRUCT``, ``INT``, ``UNKNOWN`` (void)."""
        return self.kind(type_id).kernel_name

    def describe(self, type_id: int) -> str:
        """``"<KIND> <name>"`` as verifier messages print a BTF type (``STRUCT task_struct``)."""
        return f"{self.kind_name(type_id)} {self.name(type_id)}"

    def is_stub(self, type_id: int) -> bool:
        return type_id in self.stubs

    def type_by_id(self, type_id: int) -> AnyType:
        """The decoded record of ``type_id`` (``Void`` for 0).

        Raises :class:`~kfunclab.errors.BtfError` for ids out of range, ids the snapshot left
        out, and snapshot stubs (whose members are not known).
        """
        self._check_id(type_id)
        if type_id in self.stubs:
            raise self._stub_error(type_id)
        return self.raw.decode(type_id)

    def _stub_error(self, type_id: int) -> BtfError:
        return BtfError(f"{self.describe(type_id).lower()} (id {type_id}) is only a stub in the "
                        f"{self.origin}: its name, kind and size are kept, its members are not "
                        f"in the snapshot; load the live BTF for them")

    def header_size(self, type_id: int) -> int:
        """The record's size field (structs, ints, enums ...), readable even for stubs."""
        self._check_id(type_id)
        return self.raw.words[self.raw.offsets[type_id] + 2] if type_id else 0

    # -- names -----------------------------------------------------------------------------

    def find(self, name: str, kind: BtfKind | str | None = None) -> tuple[int, ...]:
        """Ids of the types called ``name`` (of ``kind`` if given), in id order.

        >>> from kfunclab.btf.testing import tiny_btf
        >>> tiny_btf().find("bpf_task_acquire", "FUNC")
        (7,)
        """
        ids = self.raw.ids_named(name)
        if kind is not None:
            want = _as_kind(kind)
            ids = [i for i in ids if self.raw.kinds[i] == want]
        return tuple(ids)

    def lookup(self, name: str, kind: BtfKind | str) -> int:
        """The first id of ``kind`` called ``name``; :class:`BtfError` if there is none."""
        ids = self.find(name, kind)
        if not ids:
            raise BtfError(f"no {_as_kind(kind).name} named {name!r} in the {self.origin}")
        return ids[0]

    def struct_id(self, name: str) -> int:
        """The id of ``struct name`` (what ``ptr_<name>`` in the verifier log refers to)."""
        return self.lookup(name, BtfKind.STRUCT)

    # -- modifiers, sizes, members ---------------------------------------------------------

    def resolve(self, type_id: int) -> Resolved:
        """Skip TYPEDEF/CONST/VOLATILE/RESTRICT/TYPE_TAG, keeping what they said."""
        tags: list[str] = []
        const = volatile = False
        typedef: str | None = None
        tid = type_id
        for _ in range(MAX_RESOLVE_DEPTH):
            kind = self.kind(tid)
            if kind not in MODIFIER_KINDS:
                return Resolved(tid, tuple(tags), const, volatile, typedef)
            t = self.raw.decode(tid)
            assert isinstance(t, Modifier)
            if kind is BtfKind.TYPE_TAG:
                tags.append(t.name)
            elif kind is BtfKind.CONST:
                const = True
            elif kind is BtfKind.VOLATILE:
                volatile = True
            elif kind is BtfKind.TYPEDEF and typedef is None:
                typedef = t.name
            tid = t.type
        raise BtfError(f"type [{type_id}] in {self.origin}: modifier chain longer than "
                       f"{MAX_RESOLVE_DEPTH} (a loop?)")

    def skip_modifiers(self, type_id: int) -> int:
        return self.resolve(type_id).id

    def sizeof(self, type_id: int) -> int:
        """Size in bytes, as ``btf_resolve_size()`` computes it (pointers are 8).

        Raises :class:`BtfError` for types without a size: void, FWD, FUNC, FUNC_PROTO.
        """
        tid, nelems = type_id, 1
        for _ in range(MAX_RESOLVE_DEPTH):
            kind = self.kind(tid)
            if kind in _SIZED:
                return nelems * self.header_size(tid)
            if kind is BtfKind.PTR:
                return nelems * 8
            t = self.type_by_id(tid)
            if isinstance(t, Modifier):
                tid = t.type
            elif isinstance(t, Array):
                nelems *= t.nelems
                tid = t.type
            else:
                raise BtfError(f"{self.describe(tid)} (id {tid}) has no size")
        raise BtfError(f"type [{type_id}] in {self.origin}: size resolution deeper than "
                       f"{MAX_RESOLVE_DEPTH}")

    def composite(self, type_id: int) -> Composite:
        """The STRUCT/UNION behind ``type_id`` (modifiers skipped); :class:`BtfError` if not one."""
        tid = self.skip_modifiers(type_id)
        t = self.type_by_id(tid)
        if not isinstance(t, Composite):
            raise BtfError(f"type [{type_id}] is {self.describe(tid)}, not a struct or union")
        return t

    def struct_members(self, type_id: int) -> tuple[Member, ...]:
        """Members (name, type id, bit offset, bitfield size) of a struct or union."""
        return self.composite(type_id).members

    def member_at(self, struct_id: int, offset: int, size: int) -> MemberAccess:
        """What a ``size``-byte load at ``offset`` of the struct reads, as ``btf_struct_access()``.

        >>> from kfunclab.btf.testing import tiny_btf
        >>> btf = tiny_btf()
        >>> acc = btf.member_at(btf.struct_id("task_struct"), 8, 8)
        >>> acc.path, acc.access.name, btf.name(acc.btf_id)
        ('real_parent', 'PTR_TO_BTF_ID', 'task_struct')
        """
        return struct_access(self, struct_id, offset, size)

    def struct_ids_match(self, type_id: int, offset: int, need_id: int,
                         strict: bool = False) -> bool:
        """``btf_struct_ids_match()``: is ``need_id`` at ``offset`` of ``type_id``, following
        first members (so a ``struct bpf_cpumask *`` passes as ``struct cpumask *``)?"""
        return ids_match(self, type_id, offset, need_id, strict)

    # -- C types and functions -------------------------------------------------------------

    def to_ctype(self, type_id: int) -> CType:
        """The C type of ``type_id`` as a :class:`~kfunclab.ctype.CType` (cached).

        >>> from kfunclab.btf.testing import tiny_btf
        >>> tiny_btf().to_ctype(4).spelling()
        'struct task_struct *'
        """
        cached = self._ctypes.get(type_id)
        if cached is None:
            cached = to_ctype(self, type_id)
            self._ctypes[type_id] = cached
        return cached

    def signature(self, func_id: int) -> FuncSignature:
        """The :class:`FuncSignature` of the FUNC ``func_id``."""
        func = self.type_by_id(func_id)
        if not isinstance(func, Func):
            raise BtfError(f"type [{func_id}] is {self.describe(func_id)}, not a FUNC")
        proto = self.type_by_id(func.type)
        if not isinstance(proto, FuncProto):
            raise BtfError(f"FUNC {func.name} (id {func_id}) points at "
                           f"{self.describe(func.type)}, not a FUNC_PROTO")
        params = tuple(FuncParam(p.name, self.to_ctype(p.type), p.type) for p in proto.params)
        return FuncSignature(func.name, func_id, proto.id, self.to_ctype(proto.type), proto.type,
                             params, func.linkage, self.decl_tags(func_id))

    def func_proto(self, name: str) -> FuncSignature:
        """The prototype of the kernel function ``name`` (any FUNC, kfunc or not)."""
        return self.signature(self.lookup(name, BtfKind.FUNC))

    def kfuncs(self) -> tuple[FuncSignature, ...]:
        """Every FUNC carrying the DECL_TAG ``bpf_kfunc`` on itself, sorted by name."""
        if self._kfuncs is None:
            index = self._decl_tag_index()
            ids = {tid for tid, tags in index.items()
                   if any(t.name == "bpf_kfunc" and t.component_idx == -1 for t in tags)
                   and 0 < tid < len(self.raw) and self.raw.kinds[tid] == BtfKind.FUNC}
            self._kfuncs = tuple(sorted((self.signature(i) for i in ids), key=lambda s: s.name))
        return self._kfuncs

    def kfunc(self, name: str) -> FuncSignature:
        """The kfunc called ``name``; :class:`BtfError` if no FUNC of that name is tagged."""
        for sig in self.kfuncs():
            if sig.name == name:
                return sig
        raise BtfError(f"{name!r} is not a kfunc (a FUNC tagged bpf_kfunc) in the {self.origin}")

    def is_kfunc(self, name: str) -> bool:
        return any(sig.name == name for sig in self.kfuncs())

    def _decl_tag_index(self) -> dict[int, list[DeclTag]]:
        if self._decl_tags is None:
            index: dict[int, list[DeclTag]] = {}
            for tid in self.raw.ids_of_kind(BtfKind.DECL_TAG):
                tag = self.raw.decode(tid)
                assert isinstance(tag, DeclTag)
                index.setdefault(tag.type, []).append(tag)
            self._decl_tags = index
        return self._decl_tags

    def decl_tag_records(self, type_id: int, component_idx: int = -1) -> tuple[DeclTag, ...]:
        """The DECL_TAG records on ``type_id`` (or its member/parameter ``component_idx``)."""
        return tuple(t for t in self._decl_tag_index().get(type_id, ())
                     if t.component_idx == component_idx)

    def decl_tags(self, type_id: int, component_idx: int = -1) -> tuple[str, ...]:
        """Values of the DECL_TAGs on ``type_id`` (on the type itself by default, or on its
        member/parameter ``component_idx``), e.g. ``("bpf_kfunc", "bpf_fastcall")``."""
        return tuple(t.name for t in self._decl_tag_index().get(type_id, ())
                     if t.component_idx == component_idx)

    def enum_values(self, name: str) -> dict[str, int]:
        """Enumerators of ``enum name`` (ENUM or ENUM64) in declaration order.

        >>> from kfunclab.btf.testing import tiny_btf
        >>> tiny_btf().enum_values("bpf_func_id")["BPF_FUNC_get_prandom_u32"]
        7
        """
        for tid in self.raw.ids_named(name):
            if self.raw.kinds[tid] in (BtfKind.ENUM, BtfKind.ENUM64):
                enum = self.type_by_id(tid)
                assert isinstance(enum, Enum)
                return {v.name: v.value for v in enum.values}
        raise BtfError(f"no enum named {name!r} in the {self.origin}")


def _as_kind(kind: BtfKind | str) -> BtfKind:
    if isinstance(kind, BtfKind):
        return kind
    try:
        return BtfKind[kind.upper()]
    except KeyError:
        raise BtfError(f"unknown BTF kind {kind!r}; expected one of "
                       f"{', '.join(k.name for k in BtfKind)}") from None
