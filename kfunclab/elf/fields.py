"""The special fields of an object's own types, as ``btf_parse_fields()`` records them.

The kernel keeps, for a map value and for every struct of the program's BTF that ``bpf_obj_new``
may allocate, a ``struct btf_record``: where its ``bpf_spin_lock``, ``bpf_list_head``,
``bpf_list_node``, ``bpf_rb_root`` and ``bpf_rb_node`` fields are (kernel/bpf/btf.c). A graph
root names what it holds with a decl tag, ``__contains(T, node)`` (``contains:T:node``), and
``btf_parse_graph_root()`` checks it: ``T`` is a struct of the same BTF whose member ``node`` is
the matching node type; and a record with a graph root needs a ``bpf_spin_lock`` too. A record
that breaks these rules is an error pointer for the kernel, which then sees no field at all
(``btf_record_has_field()`` of an error is false): :func:`checked_record` models that by turning
the special members into plain bytes.

>>> from kfunclab.isa.program import LocalStruct, Member, MemberKind
>>> root = Member("head", MemberKind.LIST_HEAD, 16, 0, "bpf_list_head", contains=("x", "n"))
>>> checked_record(LocalStruct("v", (root,), 16, 1), lambda name: None).members[0].kind.value
'int'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from kfunclab.btf.model import Btf
from kfunclab.btf.types import BtfKind, Composite
from kfunclab.elf.maps import ElfMap, local_struct
from kfunclab.errors import BtfError
from kfunclab.isa.program import LocalStruct, MapDecl, MemberKind, TypeRef

#: graph root kind -> the node kind its __contains() member must have
ROOT_NODE = {MemberKind.LIST_HEAD: MemberKind.LIST_NODE, MemberKind.RB_ROOT: MemberKind.RB_NODE}
#: the kinds btf_record holds that kfunclab models (bpf_spin_lock and the graph fields)
SPECIAL_KINDS = frozenset({MemberKind.SPIN_LOCK, MemberKind.LIST_HEAD, MemberKind.LIST_NODE,
                           MemberKind.RB_ROOT, MemberKind.RB_NODE})


def record_ok(struct: LocalStruct, find: Callable[[str], LocalStruct | None]) -> bool:
    """Whether ``btf_parse_fields()`` (with ``btf_parse_graph_root()``) accepts ``struct``."""
    kinds = [m.kind for m in struct.members]
    if kinds.count(MemberKind.SPIN_LOCK) > 1:
        return False
    roots = [m for m in struct.members if m.kind in ROOT_NODE]
    if roots and MemberKind.SPIN_LOCK not in kinds:
        return False  # bpf_{list_head,rb_root} require bpf_spin_lock
    for root in roots:
        if root.contains is None:
            return False
        value = find(root.contains[0])
        node = next((m for m in value.members if m.name == root.contains[1]), None) \
            if value is not None else None
        if node is None or node.kind is not ROOT_NODE[root.kind]:
            return False
    return True


def checked_record(struct: LocalStruct, find: Callable[[str], LocalStruct | None]
                   ) -> LocalStruct:
    """``struct`` as the kernel records it: unchanged, or without special fields if invalid."""
    if record_ok(struct, find):
        return struct
    plain = tuple(replace(m, kind=MemberKind.INT, type_name="char") if m.kind in SPECIAL_KINDS
                  else m for m in struct.members)
    return replace(struct, members=plain)


class LocalTypes:
    """The structs of an object's BTF, read on demand: what ``bpf_obj_new`` may allocate and
    what ``__contains()`` names (the program's BTF as the kernel sees it)."""

    def __init__(self, btf: Btf) -> None:
        self.btf = btf
        self._raw: dict[int, tuple[LocalStruct, str | None] | None] = {}
        self._checked: dict[int, LocalStruct | None] = {}

    def raw(self, type_id: int) -> tuple[LocalStruct, str | None] | None:
        """The struct with id ``type_id`` as written, and why kfunclab cannot model it; None
        when the id names no struct (``__btf_type_is_struct()``: STRUCT only)."""
        if type_id not in self._raw:
            try:
                t = self.btf.type_by_id(type_id) if 0 < type_id < len(self.btf) else None
            except BtfError:
                t = None
            struct = isinstance(t, Composite) and t.kind is BtfKind.STRUCT  # not a union
            self._raw[type_id] = local_struct(self.btf, t) if struct else None  # type: ignore
        return self._raw[type_id]

    def _raw_named(self, name: str) -> LocalStruct | None:
        ids = self.btf.find(name, BtfKind.STRUCT)  # btf_find_by_name_kind()
        entry = self.raw(ids[0]) if ids else None
        return entry[0] if entry is not None else None

    def struct(self, type_id: int) -> LocalStruct | None:
        """The struct with its record checked (:func:`checked_record`)."""
        if type_id not in self._checked:
            entry = self.raw(type_id)
            self._checked[type_id] = (checked_record(entry[0], self._raw_named)
                                      if entry is not None else None)
        return self._checked[type_id]

    def why(self, type_id: int) -> str | None:
        entry = self.raw(type_id)
        return entry[1] if entry is not None else None

    def named(self, name: str) -> LocalStruct | None:
        ids = self.btf.find(name, BtfKind.STRUCT)
        return self.struct(ids[0]) if ids else None

    def checked_map(self, m: ElfMap) -> ElfMap:
        """``m`` with its value's (and its inner map's value's) record checked."""
        return replace(m, decl=self._checked_decl(m.decl),
                       inner=self._checked_decl(m.inner) if m.inner is not None else None)

    def _checked_decl(self, decl: MapDecl) -> MapDecl:
        value = decl.value
        inner = self._checked_decl(decl.inner) if decl.inner is not None else None
        if value.struct is None:
            return replace(decl, inner=inner)
        struct = checked_record(value.struct, self._raw_named)
        return replace(decl, value=TypeRef(value.name, value.size, struct), inner=inner)
