"""BTF types to :class:`kfunclab.ctype.CType`, spelled the way kernel C text spells them.

So that a kfunc typed from the doc's C declaration and one read from vmlinux BTF compare equal:

- integer typedefs keep their name (``u32``, ``size_t``), base integers get their C spelling
  (BTF from gcc says ``long unsigned int``; C says ``unsigned long``);
- typedefs of anything else are looked through (``cpumask_t`` is ``struct cpumask``);
- TYPE_TAG values between a pointer and its target go on the pointer (``CType.tags``);
- CONST sets ``const`` on the type it qualifies; VOLATILE and RESTRICT are dropped.

>>> from kfunclab.btf.testing import tiny_btf
>>> btf = tiny_btf()
>>> [p.ctype.spelling() for p in btf.func_proto("bpf_rdonly_cast").params]
['const void *', 'u32']
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from kfunclab.btf.types import Array, BtfKind, Enum, FuncProto, Int, Modifier, Ptr
from kfunclab.ctype import VOID, CType, Kind

if TYPE_CHECKING:
    from kfunclab.btf.model import Btf

#: gcc's DWARF names for base integers -> the C spelling kfunclab uses everywhere.
C_INT_NAMES = {
    "long unsigned int": "unsigned long", "long int": "long",
    "long long unsigned int": "unsigned long long", "long long int": "long long",
    "short unsigned int": "unsigned short", "short int": "short",
    "__int128 unsigned": "unsigned __int128", "_Bool": "bool",
}

_DEPTH_LIMIT = 32


_IN_PROGRESS = CType(Kind.UNKNOWN, "<loop>")


def to_ctype(btf: Btf, type_id: int, _depth: int = 0,
             _memo: dict[int, CType] | None = None) -> CType:
    """Convert ``type_id`` of ``btf`` (see the module docstring for the spelling rules).

    Each type is converted once per call (``_memo``): a function prototype whose return and
    parameters refer back to it (malformed BTF) costs linear time, not 2**depth, and a type
    met again while it is being converted reads ``<loop>``.
    """
    memo: dict[int, CType] = {} if _memo is None else _memo
    done = memo.get(type_id)
    if done is not None:
        return done
    memo[type_id] = _IN_PROGRESS
    result = _convert(btf, type_id, _depth, memo)
    memo[type_id] = result
    return result


def _convert(btf: Btf, type_id: int, _depth: int, memo: dict[int, CType]) -> CType:
    if _depth > _DEPTH_LIMIT:
        return CType(Kind.UNKNOWN, "<too deep>")
    kind = btf.kind(type_id)
    if kind is BtfKind.UNKN:
        return VOID
    if kind in (BtfKind.STRUCT, BtfKind.UNION):  # header only: works for snapshot stubs
        ckind = Kind.STRUCT if kind is BtfKind.STRUCT else Kind.UNION
        return CType(ckind, btf.name(type_id), btf.header_size(type_id))
    t = btf.type_by_id(type_id)
    match t:
        case Int():
            return CType(Kind.INT, C_INT_NAMES.get(t.name, t.name), t.size, t.signed)
        case Enum():
            return CType(Kind.ENUM, t.name, t.size, t.signed)
        case Ptr():
            tags = btf.resolve(t.type).tags
            return CType(Kind.PTR, "", 8, target=to_ctype(btf, t.type, _depth + 1, memo), tags=tags)
        case Modifier():
            return _modifier(btf, t, _depth, memo)
        case Array():
            elem = to_ctype(btf, t.type, _depth + 1, memo)
            return CType(Kind.UNKNOWN, f"{elem.spelling()}[{t.nelems}]", btf.sizeof(type_id))
    if kind is BtfKind.FWD:
        fwd_kind = Kind.UNION if getattr(t, "is_union", False) else Kind.STRUCT
        return CType(fwd_kind, t.name, 0)
    if kind is BtfKind.FUNC_PROTO:
        return CType(Kind.FUNC, _proto_text(btf, t, _depth, memo), 0)
    if kind is BtfKind.FUNC:
        return to_ctype(btf, getattr(t, "type", 0), _depth + 1, memo)
    return CType(Kind.UNKNOWN, t.name, getattr(t, "size", 0))


def _proto_text(btf: Btf, proto: object, depth: int, memo: dict[int, CType]) -> str:
    """A function type as text, ``int (void *, u64)``: the name of a ``Kind.FUNC`` CType."""
    assert isinstance(proto, FuncProto)
    ret = to_ctype(btf, proto.type, depth + 1, memo).spelling()
    args = ", ".join("..." if p.type == 0 else to_ctype(btf, p.type, depth + 1, memo).spelling()
                     for p in proto.params)
    return f"{ret} ({args or 'void'})"


def _modifier(btf: Btf, t: Modifier, depth: int, memo: dict[int, CType]) -> CType:
    inner = to_ctype(btf, t.type, depth + 1, memo)
    if t.kind is BtfKind.CONST:
        return replace(inner, const=True)
    if t.kind is BtfKind.TYPEDEF and inner.kind is Kind.INT:
        return replace(inner, name=t.name)
    return inner  # VOLATILE, RESTRICT, TYPE_TAG (tags live on the pointer), other typedefs
