"""CO-RE relocations resolved against the BTF in use, as libbpf's ``relo_core.c`` does.

A relocation names a local type (in the object's ``.BTF``), an access string (``"0:1:2"``: an
array index on the root, then member / array indices) and a kind. :func:`resolve` finds the
target types with the same kind and *essential* name (``task_struct___old`` -> ``task_struct``)
in the kernel BTF, matches the access path member by member by name, and computes the value
the instruction gets. Rules kept from libbpf: a missing field answers 0 for ``FIELD_EXISTS`` and
poisons the instruction for the other field kinds; type-based kinds answer 0 for a missing
type; ``ENUMVAL_EXISTS`` answers 0 for a missing enumerator.

Anything kfunclab cannot resolve raises :class:`CoreUnsupported` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from kfunclab.btf.model import Btf
from kfunclab.btf.types import Array, BtfKind, Composite, Enum, Int, Ptr
from kfunclab.elf.btfext import CoreRelo
from kfunclab.errors import BtfError, KfunclabError

KINDS = ("field_byte_offset", "field_byte_size", "field_exists", "field_signed",
         "field_lshift_u64", "field_rshift_u64", "type_id_local", "type_id_target",
         "type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches")
FIELD_KINDS = range(0, 6)
TYPE_KINDS = (6, 7, 8, 9, 12)
ENUM_KINDS = (10, 11)


class CoreUnsupported(KfunclabError):
    """A CO-RE relocation kfunclab does not resolve; the message says which and why."""


@dataclass(frozen=True, slots=True)
class CoreResult:
    """The value for the instruction, or ``poison`` (libbpf turns the insn into a bad call).

    ``size`` is the target field's size for a field offset (a load of a resized field is
    resized), ``local_size`` the local one.
    """

    value: int
    poison: bool = False
    size: int | None = None
    local_size: int | None = None


def essential_name(name: str) -> str:
    """``task_struct___v2`` -> ``task_struct`` (libbpf's bpf_core_essential_name_len())."""
    pos = name.find("___")
    return name[:pos] if pos > 0 else name


@dataclass(frozen=True, slots=True)
class _Step:
    name: str | None  # member name (None: array index or the root)
    index: int


@dataclass(frozen=True, slots=True)
class _Field:
    """Where an access path ends: bit offset from the root, the field's type and bitfield size."""

    bit_offset: int
    type_id: int
    bitfield: int


def resolve(relo: CoreRelo, local: Btf, target: Btf | None) -> CoreResult:
    """The value libbpf patches into the instruction for ``relo``."""
    kind = relo.kind
    if kind == 6:  # TYPE_ID_LOCAL
        return CoreResult(relo.type_id)
    if kind >= len(KINDS):
        raise CoreUnsupported(f"CO-RE relocation kind {kind} is not known")
    if target is None:
        raise CoreUnsupported("CO-RE relocations need the kernel BTF; none is in use")
    # type-based relocations name the type itself (a typedef stays a typedef)
    local_id = local.skip_modifiers(relo.type_id) if kind not in TYPE_KINDS else relo.type_id
    local_name = local.name(local_id)
    if not local_name and local.name(relo.type_id):
        # a typedef of an anonymous struct or union (siphash_key_t): libbpf names the
        # candidates by relo->type_id itself, typedefs of that name (bpf_core_find_cands()),
        # and matches the access path past the typedef (bpf_core_spec_match())
        local_id = relo.type_id
        local_name = local.name(local_id)
    if not local_name:
        raise CoreUnsupported(f"CO-RE {KINDS[kind]} relocation on an anonymous type")
    cands = _candidates(local, local_id, target)
    if kind in TYPE_KINDS:
        return _type_relo(kind, local, local_id, target, cands)
    if kind in ENUM_KINDS:
        return _enum_relo(kind, relo, local, local_id, target, cands)
    steps = _local_steps(local, local_id, relo.access)
    local_field = _walk(local, local_id, steps, local)
    results = []
    for cand in cands:
        found = _walk(target, cand, steps, local)
        if found is not None:
            results.append(_field_value(kind, target, found))
    if not results:
        if kind == 2:
            return CoreResult(0)
        return CoreResult(0, poison=True)
    if any(r != results[0] for r in results[1:]):
        raise CoreUnsupported(f"CO-RE {KINDS[kind]} of {local_name}: candidates disagree")
    value, size = results[0]
    local_size = _field_value(0, local, local_field)[1] if local_field else None
    return CoreResult(value, size=size, local_size=local_size)


_KIND_STR = ("byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64",
             "local_type_id", "target_type_id", "type_exists", "type_size", "enumval_exists",
             "enumval_value", "type_matches")


def format_spec(relo: CoreRelo, local: Btf) -> str:
    """libbpf's ``bpf_core_format_spec()`` of the local side of ``relo``, as its log fixup
    prints a poisoned relocation: ``<byte_sz> [15] struct task_struct___bad.fake_field (0:1 @
    offset 4)``.

    Raises :class:`CoreUnsupported` where the spec cannot be read (the caller keeps the
    kernel's own line).
    """
    kind = relo.kind
    tid = relo.type_id
    try:
        name = local.name(tid) or "<anon>"
        text = f"<{_KIND_STR[kind]}> [{tid}] {local.kind(tid).kernel_name.lower()} {name}"
        if kind in TYPE_KINDS:
            return text
        root = local.skip_modifiers(tid)
        if kind in ENUM_KINDS:
            t = local.type_by_id(root)
            value = t.values[int(relo.access)]  # type: ignore[attr-defined]
            return f"{text}::{value.name} = {value.value}"
        steps = _local_steps(local, root, relo.access)
        found = _walk(local, root, steps, local)
    except (BtfError, IndexError, ValueError, AttributeError) as exc:
        raise CoreUnsupported(f"CO-RE spec of relocation at {relo.insn_off}: {exc}") from None
    for i, step in enumerate(steps):
        if step.name:
            text += f".{step.name}"
        elif i > 0 or step.index > 0:
            text += f"[{step.index}]"
    bit = found.bit_offset if found is not None else 0
    where = f"{bit // 8}.{bit % 8}" if bit % 8 else f"{bit // 8}"
    return f"{text} ({relo.access} @ offset {where})"


def _candidates(local: Btf, local_id: int, target: Btf) -> list[int]:
    kind = local.kind(local_id)
    name = essential_name(local.name(local_id))
    kinds = {kind}
    if kind in (BtfKind.ENUM, BtfKind.ENUM64):
        kinds = {BtfKind.ENUM, BtfKind.ENUM64}
    if kind is BtfKind.FWD:
        kinds = {BtfKind.STRUCT, BtfKind.UNION, BtfKind.FWD}
    return [i for i in target.find(name) if target.kind(i) in kinds]


def _local_steps(btf: Btf, root: int, access: str) -> list[_Step]:
    try:
        idx = [int(x) for x in access.split(":")]
    except ValueError:
        raise CoreUnsupported(f"CO-RE access string '{access}' is malformed") from None
    steps = [_Step(None, idx[0])]
    tid = root
    for i in idx[1:]:
        t = btf.type_by_id(btf.skip_modifiers(tid))
        if isinstance(t, Composite):
            if i >= len(t.members):
                raise CoreUnsupported(f"CO-RE access '{access}': member {i} out of range")
            m = t.members[i]
            steps.append(_Step(m.name or None, i))
            tid = m.type
        elif isinstance(t, Array):
            steps.append(_Step(None, i))
            tid = t.type
        else:
            raise CoreUnsupported(f"CO-RE access '{access}' walks into {btf.describe(t.id)}")
    return steps


def _walk(btf: Btf, root: int, steps: list[_Step], local: Btf) -> _Field | None:
    """Follow ``steps`` in ``btf`` from ``root`` by member names; None if a step is missing."""
    try:
        size = btf.sizeof(root) if steps[0].index else 0
    except BtfError:
        return None
    bit = steps[0].index * size * 8
    tid = root
    bitfield = 0
    for step in steps[1:]:
        t = btf.type_by_id(btf.skip_modifiers(tid))
        if isinstance(t, Composite):
            if step.name is None:
                if btf is not local:
                    continue  # anonymous member: the next name is looked up through it
                m = t.members[step.index]
            else:
                found = _member(btf, t, step.name)
                if found is None:
                    return None
                extra, m = found
                bit += extra
            bit += m.bit_offset
            bitfield = m.bitfield_size
            tid = m.type
        elif isinstance(t, Array):
            if btf is not local and step.index >= t.nelems and t.nelems:
                return None
            try:
                bit += step.index * btf.sizeof(t.type) * 8
            except BtfError:
                return None
            tid = t.type
            bitfield = 0
        else:
            return None
    return _Field(bit, tid, bitfield)


def _member(btf: Btf, st: Composite, name: str, depth: int = 0) -> tuple[int, object] | None:
    """A member by name, looking into anonymous struct/union members (offset of those added)."""
    for m in st.members:
        if m.name == name:
            return 0, m
    if depth > 8:
        return None
    for m in st.members:
        if not m.name:
            inner = btf.type_by_id(btf.skip_modifiers(m.type))
            if isinstance(inner, Composite):
                found = _member(btf, inner, name, depth + 1)
                if found is not None:
                    return found[0] + m.bit_offset, found[1]
    return None


def _field_value(kind: int, btf: Btf, f: _Field) -> tuple[int, int]:
    """(value, byte size) per bpf_core_calc_field_relo()."""
    t = btf.type_by_id(btf.skip_modifiers(f.type_id))
    try:
        mem_size = btf.sizeof(f.type_id)
    except BtfError:
        mem_size = 0
    if f.bitfield:
        bit_size = f.bitfield
        byte_size = mem_size or 4
        byte_off = f.bit_offset // 8 // byte_size * byte_size
        while f.bit_offset + bit_size - byte_off * 8 > byte_size * 8:
            if byte_size >= 8:
                raise CoreUnsupported("CO-RE bitfield wider than 8 bytes")
            byte_size *= 2
            byte_off = f.bit_offset // 8 // byte_size * byte_size
    else:
        byte_size = mem_size
        byte_off = f.bit_offset // 8
        bit_size = byte_size * 8
    if kind == 0:
        return byte_off, byte_size
    if kind == 1:
        return byte_size, byte_size
    if kind == 2:
        return 1, byte_size
    if kind == 3:
        if isinstance(t, Enum):
            return int(t.signed), byte_size
        return int(isinstance(t, Int) and t.signed), byte_size
    if kind == 4:
        return 64 - (f.bit_offset + bit_size - byte_off * 8), byte_size
    return 64 - bit_size, byte_size


def _type_relo(kind: int, local: Btf, local_id: int, target: Btf, cands: list[int]
               ) -> CoreResult:
    matches = [c for c in cands if _types_compat(local, local_id, target, c, kind == 12)]
    if not matches:
        return CoreResult(0)
    c = matches[0]
    if kind == 7:
        return CoreResult(c)
    if kind in (8, 12):
        return CoreResult(1)
    try:
        return CoreResult(target.sizeof(c))
    except BtfError:
        raise CoreUnsupported(f"CO-RE type_size of {target.describe(c)}: no size") from None


def _types_compat(local: Btf, lid: int, target: Btf, tid: int, strict: bool) -> bool:
    """bpf_core_types_are_compat() (shallow); with ``strict`` (TYPE_MATCHES) members must match."""
    if strict:
        lid, tid = local.skip_modifiers(lid), target.skip_modifiers(tid)
    lt, tt = local.type_by_id(lid), target.type_by_id(tid)
    if lt.kind != tt.kind and not ({lt.kind, tt.kind} <= {BtfKind.ENUM, BtfKind.ENUM64}):
        return False
    if not strict:
        return True
    if isinstance(lt, Composite) and isinstance(tt, Composite):
        names = {m.name for m in tt.members}
        return all(m.name in names for m in lt.members)
    if isinstance(lt, Enum) and isinstance(tt, Enum):
        names = {v.name for v in tt.values}
        return all(essential_name(v.name) in names for v in lt.values)
    if isinstance(lt, Int) and isinstance(tt, Int):
        return lt.size == tt.size and lt.signed == tt.signed
    if isinstance(lt, Ptr):
        return True
    raise CoreUnsupported(f"CO-RE type_matches of {local.describe(lid)} is not modelled")


def _enum_relo(kind: int, relo: CoreRelo, local: Btf, local_id: int, target: Btf,
               cands: list[int]) -> CoreResult:
    lt = local.type_by_id(local_id)
    if not isinstance(lt, Enum):
        raise CoreUnsupported(f"CO-RE {KINDS[kind]} on {local.describe(local_id)}")
    try:
        want = essential_name(lt.values[int(relo.access)].name)
    except (ValueError, IndexError):
        raise CoreUnsupported(f"CO-RE enum access '{relo.access}' is malformed") from None
    values = []
    for c in cands:
        tt = target.type_by_id(c)
        if isinstance(tt, Enum):
            values += [v.value for v in tt.values if essential_name(v.name) == want]
    if not values:
        return CoreResult(0) if kind == 10 else CoreResult(0, poison=True)
    return CoreResult(1 if kind == 10 else values[0])
