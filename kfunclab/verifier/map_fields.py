"""``check_map_access()``: the special fields of a map value a load, a store or a helper may
touch (Linux 6.18, ``kernel/bpf/verifier.c``).

Any access whose bytes may overlap a field of the value's ``btf_record`` is checked against it,
fields in offset order: a kptr (``__kptr``, ``__kptr_untrusted``, ``__percpu_kptr``) only by a
load or store of all its 8 bytes at a constant offset, never through a helper's memory
argument; every other field (lock, timer, graph root or node) not at all.

>>> from kfunclab.isa.program import Member, MemberKind
>>> field_type_name(Member("pc", MemberKind.PERCPU_KPTR, 8, 8, "pv"))
'percpu_kptr'
"""

from __future__ import annotations

from kfunclab.isa.program import Member, MemberKind
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Reject
from kfunclab.verifier.records import SPECIAL_FIELD_KINDS, field_name
from kfunclab.verifier.regs import Reg

_KPTR_KINDS = frozenset({MemberKind.KPTR, MemberKind.KPTR_UNTRUSTED, MemberKind.KPTR_REF,
                         MemberKind.PERCPU_KPTR})


def field_type_name(member: Member) -> str:
    """``btf_field_type_name()`` of a kptr field: ``percpu_kptr`` for BPF_KPTR_PERCPU, else
    ``kptr`` (BPF_KPTR_REF and BPF_KPTR_UNREF alike, whatever the tag's spelling)."""
    return "percpu_kptr" if member.kind is MemberKind.PERCPU_KPTR else "kptr"


def check_map_fields(reg: Reg, off: int, size: int, direct: bool) -> None:
    """The field loop of ``check_map_access()`` for ``size`` bytes at ``off`` (the access's
    fixed offset, ``reg.off`` included) of the map value ``reg`` points into; ``direct`` is
    False for a helper's or kfunc's memory argument (ACCESS_HELPER)."""
    struct = getattr(reg.map.value, "struct", None) if reg.map is not None else None
    if struct is None:
        return
    var = reg.var
    lo, hi = var.smin + off, var.umax + off + size
    for m in sorted(struct.members, key=lambda x: x.offset):
        if m.kind not in _KPTR_KINDS and m.kind not in SPECIAL_FIELD_KINDS:
            continue
        if not (lo < m.offset + m.size and m.offset < hi):
            continue
        if m.kind in SPECIAL_FIELD_KINDS:
            raise Reject(msg.MAP_FIELD_DIRECT_ACCESS.format(field=field_name(m)))
        name = field_type_name(m)
        if not direct:
            raise Reject(msg.MAP_KPTR_INDIRECT.format(field=name))
        if not var.is_const:
            raise Reject(msg.MAP_KPTR_VAR_OFF.format(field=name))
        if m.offset != off + var.const_value:
            raise Reject(msg.MAP_KPTR_MISALIGNED.format(field=name, expected=m.offset,
                                                        off=off + var.const_value))
        if size != 8:
            raise Reject(msg.MAP_KPTR_SIZE.format(field=name))
