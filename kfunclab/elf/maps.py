"""Maps of a BPF object as libbpf creates them: BTF-defined ``.maps`` and global data sections.

A BTF-defined map is a variable of the ``.maps`` DATASEC whose struct says, member by member
(``__uint(type, BPF_MAP_TYPE_HASH)`` is ``int (*type)[1]``): ``type``, ``max_entries``,
``map_flags``, ``key``/``value`` (pointers to the types) or ``key_size``/``value_size``, and
``values`` (inner maps). Global data sections become one-entry array maps with a 4-byte key and
the section as value; ``.rodata*`` and ``.kconfig`` ones are read-only for the program
(``BPF_F_RDONLY_PROG``) and frozen.

Map values are turned into :class:`~kfunclab.isa.program.LocalStruct` members the verifier
knows (integers, pointers, ``__kptr``, ``__kptr_untrusted``, ``bpf_spin_lock``); fields the
kernel treats specially and kfunclab does not model (``bpf_list_head``, ``bpf_rb_root``,
``bpf_timer`` ...) are named in :attr:`ElfMap.unsupported`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from kfunclab.btf.model import Btf
from kfunclab.btf.types import Array, BtfKind, Composite, Datasec, Modifier, Ptr, Var
from kfunclab.btf.types import Member as BtfMember
from kfunclab.errors import BtfError
from kfunclab.isa.program import LocalStruct, MapDecl, Member, MemberKind, TypeRef

BPF_OBJ_NAME_LEN = 16  # include/uapi/linux/bpf.h: names are NUL-terminated in 16 bytes

BPF_F_RDONLY_PROG = 1 << 7

#: enum bpf_map_type (Linux 6.18), lower case without BPF_MAP_TYPE_ (kfunclab's spelling)
MAP_TYPES = (
    "unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash", "percpu_array",
    "stack_trace", "cgroup_array", "lru_hash", "lru_percpu_hash", "lpm_trie", "array_of_maps",
    "hash_of_maps", "devmap", "sockmap", "cpumap", "xskmap", "sockhash", "cgroup_storage",
    "reuseport_sockarray", "percpu_cgroup_storage", "queue", "stack", "sk_storage",
    "devmap_hash", "struct_ops", "ringbuf", "inode_storage", "task_storage", "bloom_filter",
    "user_ringbuf", "cgrp_storage", "arena")

#: Struct types the kernel finds in map values (btf_get_field_type()) that kfunclab does not model.
SPECIAL_STRUCTS = {"bpf_list_head", "bpf_list_node", "bpf_rb_root", "bpf_rb_node", "bpf_timer",
                   "bpf_wq", "bpf_refcount", "bpf_res_spin_lock", "bpf_task_work"}
#: The graph fields kfunclab models at the top level of a map value or local struct.
GRAPH_KINDS = {"bpf_list_head": MemberKind.LIST_HEAD, "bpf_list_node": MemberKind.LIST_NODE,
               "bpf_rb_root": MemberKind.RB_ROOT, "bpf_rb_node": MemberKind.RB_NODE}
KPTR_TAGS = {"kptr": MemberKind.KPTR, "kptr_untrusted": MemberKind.KPTR_UNTRUSTED}


@dataclass(frozen=True, slots=True)
class ElfMap:
    """A map of the object: the verifier's :class:`MapDecl` plus what libbpf knows more.

    ``data`` is the initial value of a global-data map (zeros for ``.bss``); ``unsupported``
    says what kfunclab cannot model about this map, if anything.
    """

    decl: MapDecl
    section: str
    sym_offset: int = 0  # offset of the variable in .maps (BTF-defined maps)
    data: bytes | None = None
    unsupported: str | None = None
    inner: MapDecl | None = None

    @property
    def readonly(self) -> bool:
        return bool(self.decl.flags & BPF_F_RDONLY_PROG)


def internal_map_name(obj_name: str, section: str) -> str:
    """The name libbpf gives the map of a data section (``internal_map_name()``): up to 8
    bytes of the object's name (the file name up to its first dot) and the section name, or
    a custom section's name (``.data.A``) alone, in at most 15 bytes of ``[A-Za-z0-9_.]``.

    >>> internal_map_name("dynptr_fail.bpf.o", ".bss"), internal_map_name("x.o", ".data.A")
    ('dynptr_f.bss', '.data.A')
    """
    stem = obj_name.split(".")[0]
    sfx_len = min(max(7, len(section)), BPF_OBJ_NAME_LEN - 1)
    pfx_len = 0 if "." in section[1:] else min(BPF_OBJ_NAME_LEN - sfx_len - 1, len(stem))
    name = (stem[:pfx_len] + section[:sfx_len])[:BPF_OBJ_NAME_LEN - 1]
    return re.sub(r"[^A-Za-z0-9_.]", "_", name)


def data_map(obj_name: str, section: str, data: bytes, size: int,
             btf: Btf | None = None, offsets: dict[str, int] | None = None) -> ElfMap:
    """The internal array map libbpf makes of a data section, named after the section.

    Its value is the section's DATASEC, whose variables may hold ``__kptr`` and
    ``bpf_spin_lock`` fields too. ``offsets`` are the variables' ELF symbol values: clang
    leaves the DATASEC offsets 0 and libbpf fills them in (``btf_fixup_datasec()``)."""
    readonly = section.startswith(".rodata") or section == ".kconfig"
    flags = BPF_F_RDONLY_PROG if readonly else 0
    name = section  # unique in the object (libbpf's own names are truncated to 15 chars)
    members: tuple[Member, ...] = (Member("data", MemberKind.INT, size, 0, "char"),)
    why = None
    sec_ids = btf.find(section, BtfKind.DATASEC) if btf is not None else ()
    if btf is not None and sec_ids:
        sec = btf.type_by_id(sec_ids[0])
        assert isinstance(sec, Datasec)
        where = offsets or {}
        fake = Composite(sec.id, BtfKind.STRUCT, section, size, tuple(
            BtfMember(btf.name(v.type), btf.type_by_id(v.type).type,  # type: ignore
                      where.get(btf.name(v.type), v.offset) * 8)
            for v in sec.vars if isinstance(btf.type_by_id(v.type), Var)))
        tags = {i: v.type for i, v in enumerate(sec.vars)
                if isinstance(btf.type_by_id(v.type), Var)}
        members, why = _members(btf, fake, tags)
    value = LocalStruct(section, members, size, sec_ids[0] if sec_ids else 0)
    contents = (data or b"").ljust(size, b"\0")
    decl = MapDecl(name, "array", TypeRef("u32", 4), TypeRef(section, size, value), 1, flags,
                   data=contents if section.startswith(".rodata") else None,
                   log_name=internal_map_name(obj_name, section))
    return ElfMap(decl, section, data=contents, unsupported=why)


def btf_maps(btf: Btf) -> dict[str, ElfMap]:
    """Every BTF-defined map of the ``.maps`` DATASEC, by variable name."""
    out: dict[str, ElfMap] = {}
    for sec_id in btf.find(".maps", BtfKind.DATASEC):
        sec = btf.type_by_id(sec_id)
        assert isinstance(sec, Datasec)
        for info in sec.vars:
            var = btf.type_by_id(info.type)
            if not isinstance(var, Var):
                continue
            out[var.name] = _btf_map(btf, var.name, var.type, info.offset)
    return out


def _btf_map(btf: Btf, name: str, type_id: int, offset: int, inner: bool = False) -> ElfMap:
    try:
        st = btf.composite(type_id)
    except BtfError:
        return _bad(name, offset, f"map '{name}' is not a struct in BTF")
    attrs: dict[str, int] = {}
    key = value = None
    inner_decl: MapDecl | None = None
    inner_why: str | None = None
    values_ptr: int | None = None  # __array(values, ...): inner maps, or programs
    for m in st.members:
        if m.name in ("type", "max_entries", "map_flags", "key_size", "value_size",
                      "numa_node", "pinning", "map_extra"):
            attrs[m.name] = _ptr_array_len(btf, m.type)
        elif m.name in ("key", "value"):
            target = _pointee(btf, m.type)
            if m.name == "key":
                key = target
            else:
                value = target
        elif m.name == "values":
            arr = btf.type_by_id(btf.skip_modifiers(m.type))
            if isinstance(arr, Array):
                values_ptr = _pointee(btf, arr.type)
    mtype = attrs.get("type", 0)
    type_name = MAP_TYPES[mtype] if 0 <= mtype < len(MAP_TYPES) else f"type{mtype}"
    if values_ptr is not None and type_name in ("array_of_maps", "hash_of_maps"):
        inner_map = _btf_map(btf, f"{name}.inner", values_ptr, 0, True)
        # bpf_map_meta_alloc() copies no name: the log prints none for the inner map
        inner_decl, inner_why = replace(inner_map.decl, log_name=""), inner_map.unsupported
    key_ref, why_k = _type_ref(btf, key, attrs.get("key_size", 0))
    value_ref, why_v = _type_ref(btf, value, attrs.get("value_size", 0))
    if (inner_decl is not None and type_name in ("array_of_maps", "hash_of_maps")) or (
            values_ptr is not None and value_ref.size == 0):
        value_ref = TypeRef("u32", 4)  # libbpf: a map declared with __array(values) has 4
    decl = MapDecl(name, type_name, key_ref, value_ref, attrs.get("max_entries", 0),
                   attrs.get("map_flags", 0), inner=inner_decl)
    why = why_v or why_k or (f"inner map: {inner_why}" if inner_why else None)
    struct = value_ref.struct
    if not why and struct is not None and type_name not in _TIMER_MAPS and any(
            x.type_name == "bpf_timer" for x in struct.members):
        why = f"a struct bpf_timer in a {type_name} map is not modelled"
    if not why and struct is not None and type_name not in _TIMER_MAPS and any(
            x.kind is MemberKind.WORKQUEUE for x in struct.members):
        why = f"a struct bpf_wq in a {type_name} map is not modelled"
    return ElfMap(decl, ".maps", offset, unsupported=why, inner=inner_decl)


#: map types whose values may hold a bpf_timer or a bpf_wq (map_check_btf(); others fail to be
#: created)
_TIMER_MAPS = frozenset({"hash", "lru_hash", "array"})


def _bad(name: str, offset: int, why: str) -> ElfMap:
    decl = MapDecl(name, "unspec", TypeRef("u32", 4), TypeRef("u32", 4))
    return ElfMap(decl, ".maps", offset, unsupported=why)


def _ptr_array_len(btf: Btf, type_id: int) -> int:
    """``__uint(name, N)``: ``int (*name)[N]``."""
    t = btf.type_by_id(btf.skip_modifiers(type_id))
    if isinstance(t, Ptr):
        arr = btf.type_by_id(btf.skip_modifiers(t.type))
        if isinstance(arr, Array):
            return arr.nelems
    return 0


def _pointee(btf: Btf, type_id: int) -> int | None:
    t = btf.type_by_id(btf.skip_modifiers(type_id))
    return t.type if isinstance(t, Ptr) else None


def _type_ref(btf: Btf, type_id: int | None, size: int) -> tuple[TypeRef, str | None]:
    """A key/value type as the verifier's :class:`TypeRef`, and why it cannot be modelled."""
    if type_id is None:
        return TypeRef(f"u{size * 8}" if size in (1, 2, 4, 8) else "char[]", size), None
    try:
        size = btf.sizeof(type_id)
    except BtfError:
        return TypeRef("?", 0), f"map key/value type {btf.describe(type_id)} has no size"
    tid = btf.skip_modifiers(type_id)
    t = btf.type_by_id(tid)
    if not isinstance(t, Composite):
        name = t.name or btf.describe(tid)
        return TypeRef(name, size), _special_in(btf, tid)
    members, why = _members(btf, t)
    return TypeRef(t.name or "(anon)", size, LocalStruct(t.name or "(anon)", members, size,
                                                         tid)), why


def local_struct(btf: Btf, st: Composite) -> tuple[LocalStruct, str | None]:
    """A struct of the object's BTF as a :class:`LocalStruct`, and why it cannot be modelled."""
    members, why = _members(btf, st)
    if any(m.kind is MemberKind.PERCPU_KPTR for m in members):
        why = why or "a __percpu_kptr field in an allocated object is not modelled"
    name = st.name or "(anon)"
    return LocalStruct(name, members, st.size, st.id), why


def _members(btf: Btf, st: Composite, var_ids: dict[int, int] | None = None
             ) -> tuple[tuple[Member, ...], str | None]:
    """The members of ``st``, and why it cannot be modelled. ``var_ids`` (a DATASEC made a
    struct) gives the VAR whose decl tags stand for member i's."""
    out: list[Member] = []
    why: str | None = None
    for i, m in enumerate(st.members):
        off = m.bit_offset // 8
        if m.bitfield_size:
            out.append(Member(m.name, MemberKind.INT, 0, off, "bitfield"))
            continue
        res = btf.resolve(m.type)
        t = btf.type_by_id(res.id)
        size = btf.sizeof(m.type) if not isinstance(t, Ptr) else 8
        if isinstance(t, Ptr):
            ptr_res = btf.resolve(t.type)
            tags = ptr_res.tags
            target = btf.type_by_id(ptr_res.id)
            kind = MemberKind.PTR
            for tag in tags:
                if tag in KPTR_TAGS:
                    kind = KPTR_TAGS[tag]
                elif tag == "percpu_kptr" and st.kind is BtfKind.STRUCT:
                    kind = MemberKind.PERCPU_KPTR  # verifier/percpu_kptrs.py
                elif tag in ("percpu_kptr", "uptr"):
                    why = why or f"map value field '{m.name}' is __{tag}, not modelled"
            out.append(Member(m.name, kind, 8, off, target.name or "void",
                              ptr_to_struct=isinstance(target, Composite)))
        elif isinstance(t, Composite):
            if t.name == "bpf_spin_lock" and st.kind is BtfKind.STRUCT:
                out.append(Member(m.name, MemberKind.SPIN_LOCK, size, off, t.name))
            elif t.name == "bpf_timer" and st.kind is BtfKind.STRUCT:
                # a top-level timer: the timer helpers and callbacks (verifier/callbacks.py)
                if any(x.type_name == "bpf_timer" for x in out):
                    why = why or "a map value with two struct bpf_timer is not modelled"
                out.append(Member(m.name, MemberKind.TIMER, size, off, t.name))
            elif t.name == "bpf_wq" and st.kind is BtfKind.STRUCT:
                # a top-level workqueue: the bpf_wq kfuncs (verifier/rules/wq.py)
                if any(x.kind is MemberKind.WORKQUEUE for x in out):
                    why = why or "a map value with two struct bpf_wq is not modelled"
                out.append(Member(m.name, MemberKind.WORKQUEUE, size, off, t.name))
            elif t.name in GRAPH_KINDS and st.kind is BtfKind.STRUCT:
                contains = _contains(btf, st, i, var_ids)
                out.append(Member(m.name, GRAPH_KINDS[t.name], size, off, t.name,
                                  contains=contains))
            else:
                inner_why = _special_in(btf, res.id)
                leaves = _kptr_leaves(btf, m.type, m.name, off) if inner_why == _NESTED_KPTR \
                    and st.kind is BtfKind.STRUCT else None
                if leaves is not None:
                    out.extend(leaves)
                    continue
                nested = _nested(btf, st, t) if inner_why else None
                if nested is not None:  # btf_find_nested_struct(): its fields, at their offsets
                    out.extend(replace(x, name=f"{m.name}.{x.name}", offset=off + x.offset)
                               for x in nested)
                    continue
                why = why or inner_why
                out.append(Member(m.name, MemberKind.INT, size, off, t.name or "struct"))
        elif isinstance(t, Array) and st.kind is BtfKind.STRUCT and (
                roots := _root_array(btf, t, m.name, off, _contains(btf, st, i, var_ids))):
            out.extend(roots)  # btf_repeat_fields(): one graph root per element
        else:
            inner_why = _special_in(btf, res.id)
            leaves = _kptr_leaves(btf, m.type, m.name, off) if inner_why == _NESTED_KPTR \
                and isinstance(t, Array) and st.kind is BtfKind.STRUCT else None
            if leaves is not None:
                out.extend(leaves)
                continue
            why = why or inner_why
            signed = bool(getattr(t, "signed", False))
            out.append(Member(m.name, MemberKind.INT, size, off, t.name or "int", signed))
    if sum(x.kind in KPTR_TAGS.values() or x.kind is MemberKind.PERCPU_KPTR
           for x in out) > _BTF_FIELDS_MAX:
        why = why or f"a map value with more than {_BTF_FIELDS_MAX} kptrs is not modelled"
    return tuple(out), why


_NESTED_KPTR = "a __kptr inside a nested struct or array of a map value is not modelled"
_BTF_FIELDS_MAX = 11  # include/linux/bpf.h: the special fields one value may hold


def _kptr_leaves(btf: Btf, type_id: int, name: str, off: int, depth: int = 0
                 ) -> list[Member] | None:
    """``btf_find_nested_struct()`` and ``btf_repeat_fields()``: a struct or array whose only
    special fields are kptrs, flattened into members at their offsets (every kptr of every
    element, the rest plain bytes); None when it holds anything else special."""
    res = btf.resolve(type_id)
    t = btf.type_by_id(res.id)
    if depth > 8:
        return None
    if isinstance(t, Ptr):
        ptr_res = btf.resolve(t.type)
        if any(tag in ("percpu_kptr", "uptr") for tag in ptr_res.tags):
            return None
        kind = next((KPTR_TAGS[tag] for tag in ptr_res.tags if tag in KPTR_TAGS),
                    MemberKind.PTR)
        return [Member(name, kind, 8, off, btf.type_by_id(ptr_res.id).name or "void")]
    if isinstance(t, Array):
        step = btf.sizeof(t.type)
        out: list[Member] = []
        for k in range(t.nelems):
            inner = _kptr_leaves(btf, t.type, f"{name}[{k}]", off + k * step, depth + 1)
            if inner is None:
                return None
            if k == 0 and not any(x.kind in KPTR_TAGS.values() for x in inner):
                return [Member(name, MemberKind.INT, btf.sizeof(res.id), off, "array")]
            out.extend(inner)
        return out
    if isinstance(t, Composite):
        if t.kind is not BtfKind.STRUCT or t.name in SPECIAL_STRUCTS or t.name in (
                "bpf_spin_lock", *GRAPH_KINDS):
            return None
        out = []
        for m in t.members:
            moff = off + m.bit_offset // 8
            if m.bitfield_size:
                out.append(Member(f"{name}.{m.name}", MemberKind.INT, 0, moff, "bitfield"))
                continue
            inner = _kptr_leaves(btf, m.type, f"{name}.{m.name}", moff, depth + 1)
            if inner is None:
                return None
            out.extend(inner)
        return out
    signed = bool(getattr(t, "signed", False))
    return [Member(name, MemberKind.INT, btf.sizeof(res.id), off, t.name or "int", signed)]


def _contains(btf: Btf, st: Composite, i: int, var_ids: dict[int, int] | None
              ) -> tuple[str, str] | None:
    """Member ``i``'s ``__contains(T, node)`` decl tag (on the VAR for a DATASEC)."""
    owner, comp = (var_ids[i], -1) if var_ids and i in var_ids else (st.id, i)
    for tag in btf.decl_tags(owner, comp):
        if tag.startswith("contains:") and tag.count(":") == 2:
            _, value, node = tag.split(":")
            return value, node
    return None


def _nested(btf: Btf, st: Composite, t: Composite) -> tuple[Member, ...] | None:
    """The members of a struct nested in ``st`` when it holds locks or graph fields only."""
    if st.kind is not BtfKind.STRUCT or t.kind is not BtfKind.STRUCT:
        return None
    members, why = _members(btf, t)
    if why or any(x.kind in KPTR_TAGS.values() or x.kind is MemberKind.PERCPU_KPTR
                  for x in members):
        return None  # kptrs in nested structs stay unmodelled
    return members


def _root_array(btf: Btf, arr: Array, name: str, off: int,
                contains: tuple[str, str] | None) -> list[Member]:
    """``struct bpf_list_head heads[N] __contains(...)``: N roots (other arrays: none)."""
    elem = btf.type_by_id(btf.resolve(arr.type).id)
    if not isinstance(elem, Composite) or elem.name not in ("bpf_list_head", "bpf_rb_root") \
            or arr.nelems < 1:
        return []
    size = btf.sizeof(elem.id)
    return [Member(f"{name}[{k}]", GRAPH_KINDS[elem.name], size, off + k * size, elem.name,
                   contains=contains) for k in range(arr.nelems)]


def _special_in(btf: Btf, type_id: int, depth: int = 0) -> str | None:
    """The first special field (list head, timer, nested kptr ...) inside ``type_id``."""
    if depth > 8:
        return None
    t = btf.type_by_id(btf.skip_modifiers(type_id))
    if isinstance(t, Array):
        return _special_in(btf, t.type, depth + 1)
    if isinstance(t, Ptr):
        tags = btf.resolve(t.type).tags
        if any(tag in KPTR_TAGS or tag in ("percpu_kptr", "uptr") for tag in tags):
            return _NESTED_KPTR
        return None
    if isinstance(t, Composite):
        if t.name in SPECIAL_STRUCTS:
            return f"map value field struct {t.name} is not modelled"
        if t.name == "bpf_spin_lock":
            return "a bpf_spin_lock inside a nested struct or array of a map value is not modelled"
        for m in t.members:
            found = _special_in(btf, m.type, depth + 1)
            if found:
                return found
    if isinstance(t, Modifier):
        return _special_in(btf, t.type, depth + 1)
    return None
