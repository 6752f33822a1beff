"""What the kernel's ``struct btf_record`` says about a pointer: its special fields.

A map value and an object of ``bpf_obj_new`` carry a record of their ``bpf_spin_lock``, graph
roots (``bpf_list_head``, ``bpf_rb_root``), graph nodes and kptrs (kernel/bpf/btf.c). The
verifier asks it for the lock a pointer's allocation holds (``reg_may_point_to_spin_lock()``),
for the field at an offset (``btf_record_find()``), for loads and stores that touch a field, and
at load time whether the program type may use such a map (``check_map_prog_compatibility()``).
Plain data, no verifier state: the graph kfunc rules (``rules/graph.py``), the helpers, memory
access and the static checks all read it.

>>> from kfunclab.isa.program import LocalStruct, Member, MemberKind
>>> lock = Member("lock", MemberKind.SPIN_LOCK, 4, 16, "bpf_spin_lock")
>>> spin_lock_off(LocalStruct("v", (lock,), 20, 1))
16
"""

from __future__ import annotations

from typing import Any, Protocol

from kfunclab.isa.program import LocalStruct, Member, MemberKind
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Reject, Unsupported
from kfunclab.verifier.regs import UNKNOWN_SCALAR, Reg, RegType, TypeFlag


class Env(Protocol):
    """What the record lookups read of ``verifier.env.Env``: the program and the kernel BTF."""

    program: Any
    btf: Any


#: struct name of a graph argument -> (root type, node type) of its family
GRAPH_ARGS = {"bpf_list_head": ("bpf_list_head", "bpf_list_node"),
              "bpf_list_node": ("bpf_list_head", "bpf_list_node"),
              "bpf_rb_root": ("bpf_rb_root", "bpf_rb_node"),
              "bpf_rb_node": ("bpf_rb_root", "bpf_rb_node")}
FIELD_KINDS = {"bpf_list_head": MemberKind.LIST_HEAD, "bpf_list_node": MemberKind.LIST_NODE,
               "bpf_rb_root": MemberKind.RB_ROOT, "bpf_rb_node": MemberKind.RB_NODE}
#: kfuncs that move an owned node into a root (their node reference becomes non-owning)
INSERTERS = frozenset({"bpf_list_push_front_impl", "bpf_list_push_back_impl",
                       "bpf_rbtree_add_impl"})
#: kfuncs returning a node of the root argument's container type
NODE_RETURNS = frozenset({"bpf_list_pop_front", "bpf_list_pop_back", "bpf_list_front",
                          "bpf_list_back", "bpf_rbtree_remove", "bpf_rbtree_first",
                          "bpf_rbtree_root", "bpf_rbtree_left", "bpf_rbtree_right"})
SPECIAL_FIELD_KINDS = frozenset({MemberKind.SPIN_LOCK, MemberKind.TIMER, MemberKind.WORKQUEUE,
                                 *FIELD_KINDS.values()})


# --- records -----------------------------------------------------------------------------------
def reg_record(env: Env, reg: Reg) -> LocalStruct | None:
    """``reg_btf_record()``: the fields of what ``reg`` points into (map value or object)."""
    if reg.type is RegType.PTR_TO_MAP_VALUE and reg.map is not None:
        return getattr(reg.map.value, "struct", None)
    if reg.type is RegType.PTR_TO_BTF_ID and reg.local:
        return env.program.local_type(reg.btf_id)
    return None


def record_find(rec: LocalStruct | None, off: int, kind: MemberKind) -> Member | None:
    """``btf_record_find()``: the field of ``kind`` that starts exactly at ``off``."""
    if rec is None:
        return None
    return next((m for m in rec.members if m.offset == off and m.kind is kind), None)


def kptr_field(rec: LocalStruct | None, off: int) -> Member | None:
    """``btf_record_find(rec, off, BPF_KPTR)`` in an allocated object's record."""
    if rec is None:
        return None
    return next((m for m in rec.members if m.offset == off
                 and m.kind.value in ("kptr", "kptr_untrusted", "kptr_ref")), None)


def local_kptr_type(env: Env, member: Member) -> LocalStruct | None:
    """``btf_parse_kptr()``: a kptr whose type the kernel's BTF lacks points to the program's
    own type (an object of ``bpf_obj_new``); None for a kernel type."""
    if env.btf is not None and env.btf.find(member.type_name, "STRUCT"):
        return None
    return env.program.local_named(member.type_name)


def spin_lock_off(rec: LocalStruct | None) -> int:
    """``rec->spin_lock_off`` (-1 without a lock)."""
    lock = next((m for m in rec.members if m.kind is MemberKind.SPIN_LOCK), None) \
        if rec is not None else None
    return lock.offset if lock is not None else -1


def may_point_to_spin_lock(env: Env, reg: Reg) -> bool:
    """``reg_may_point_to_spin_lock()``: such pointers keep their id past a NULL check."""
    if reg.type not in (RegType.PTR_TO_MAP_VALUE, RegType.PTR_TO_BTF_ID):
        return False
    return spin_lock_off(reg_record(env, reg)) >= 0


def lock_owner(reg: Reg) -> str:
    """The ``ptr`` of a lock state: the map (``reg->map_ptr``) or the program BTF."""
    if reg.type is RegType.PTR_TO_MAP_VALUE and reg.map is not None:
        return f"map:{reg.map.name}"
    return "btf"


# --- load time ---------------------------------------------------------------------------------
def field_overlap(rec: LocalStruct | None, lo: int, hi: int) -> Member | None:
    """The first special field (lock, graph root or node) that bytes ``[lo, hi)`` touch."""
    if rec is None:
        return None
    return next((m for m in rec.members if m.kind in SPECIAL_FIELD_KINDS and lo < m.offset + m.size
                 and m.offset < hi), None)


def field_name(m: Member) -> str:
    """``btf_field_type_name()``."""
    if m.kind is MemberKind.SPIN_LOCK:
        return "bpf_spin_lock"
    return "bpf_timer" if m.kind is MemberKind.TIMER else m.kind.value


def local_object_access(struct: LocalStruct | None, reg: Reg, off: int, size: int) -> Reg:
    """A load or store of ``size`` bytes at ``off`` of a ``bpf_obj_new`` object (its program-local
    struct ``struct``): ``btf_struct_access()`` refuses special fields and bytes past the end;
    the value a load gives (``btf_struct_walk()``): a pointer member read whole is a scalar when
    it points to a struct (WALK_PTR of an allocated object), else untrusted read-only memory
    (WALK_PTR_UNTRUSTED: ``rdonly_untrusted_mem``)."""
    special = field_overlap(struct, off, off + size)
    if special is not None:
        raise Reject(msg.LOCAL_FIELD_DIRECT_ACCESS.format(field=field_name(special)))
    if off + size > (struct.size if struct is not None else 0):
        raise Reject(msg.BTF_ACCESS_BEYOND.format(name=reg.btf_name, off=off, size=size))
    assert struct is not None
    ptr = next((m for m in struct.members if m.kind is MemberKind.PTR
                and m.offset <= off < m.offset + m.size), None)
    if ptr is None:
        return UNKNOWN_SCALAR
    if ptr.offset != off or size != 8:
        if "." in ptr.name:  # flattened from a nested struct: the kernel names the inner one
            raise Unsupported(f"a partial access to pointer member {ptr.name} of a nested "
                              "struct of a local object is not modelled")
        raise Reject(msg.PTR_MEMBER_PARTIAL.format(name=ptr.name, moff=ptr.offset,
                                                   struct=struct.name, off=off, size=size))
    if ptr.ptr_to_struct:
        return UNKNOWN_SCALAR
    return Reg(RegType.PTR_TO_MEM, flags=TypeFlag.RDONLY | TypeFlag.UNTRUSTED, mem_size=0)


def local_has_refcount(program: Any, name: str) -> bool:
    """The program's own struct ``name`` has a ``struct bpf_refcount`` member
    (``rec->refcount_off >= 0``). The local struct flattens it into plain bytes, so the
    object's BTF is asked; program files cannot declare one."""
    btf = getattr(getattr(program, "local_btf", None), "btf", None)
    if btf is None:
        return False
    for tid in btf.find(name, "STRUCT"):
        for m in getattr(btf.type_by_id(tid), "members", ()):
            if getattr(btf.type_by_id(btf.skip_modifiers(m.type)), "name", None) == \
                    "bpf_refcount":
                return True
    return False
