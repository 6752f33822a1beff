"""``bpf_percpu_obj_new_impl``: a per-CPU object of a program struct (``check_special_kfunc()``).

The kernel refuses a type larger than ``BPF_GLOBAL_PERCPU_MA_MAX_SIZE`` (512), a struct that is
not made of scalars only (``__btf_type_is_scalar_struct()``: integers, enums, arrays of them and
such structs, three levels deep), and one with special fields (a ``btf_struct_meta``: locks,
graph roots and nodes, kptrs, timers, refcounts). What it returns is ``PTR_TO_BTF_ID | MEM_ALLOC |
MEM_PERCPU``: the program reaches the data only through bpf_this_cpu_ptr/bpf_per_cpu_ptr of an
RCU-protected copy (a map's ``__percpu_kptr``: :mod:`kfunclab.verifier.percpu_kptrs`), so
direct access is refused ("access percpu memory") and only bpf_percpu_obj_drop or bpf_kptr_xchg
may take it.

>>> PERCPU_MAX_SIZE
512
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kfunclab.btf.types import Array, BtfKind
from kfunclab.errors import BtfError
from kfunclab.isa.program import LocalStruct, MemberKind
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Reject, Unsupported
from kfunclab.verifier.regs import Reg, RegType, TypeFlag

if TYPE_CHECKING:
    from kfunclab.verifier.env import Env

#: include/linux/bpf.h BPF_GLOBAL_PERCPU_MA_MAX_SIZE
PERCPU_MAX_SIZE = 512
_EINVAL = 22
#: members that are structs of scalars in the kernel's view (bpf_spin_lock is a u32, the graph
#: roots and nodes are opaque u64 arrays) but make a btf_struct_meta
_SPECIAL_SCALAR_STRUCTS = {MemberKind.SPIN_LOCK, MemberKind.TIMER, MemberKind.WORKQUEUE,
                           MemberKind.LIST_HEAD, MemberKind.LIST_NODE, MemberKind.RB_ROOT,
                           MemberKind.RB_NODE}


def _scalar_struct(btf: object, type_id: int, rec: int) -> bool | None:
    """``__btf_type_is_scalar_struct()`` on the program's BTF; None past the nesting limit
    (the kernel then logs "max struct nesting depth exceeded", not modelled)."""
    if btf.kind(type_id) is not BtfKind.STRUCT:  # type: ignore[attr-defined]
        return False
    for m in btf.struct_members(type_id):  # type: ignore[attr-defined]
        tid = btf.skip_modifiers(m.type)  # type: ignore[attr-defined]
        kind = btf.kind(tid)  # type: ignore[attr-defined]
        if kind is BtfKind.STRUCT:
            if rec >= 3:
                return None
            inner = _scalar_struct(btf, tid, rec + 1)
            if not inner:
                return inner
            continue
        if kind is BtfKind.ARRAY:
            arr = btf.type_by_id(tid)  # type: ignore[attr-defined]
            assert isinstance(arr, Array)
            if not arr.nelems:
                return False
            tid = btf.skip_modifiers(arr.type)  # type: ignore[attr-defined]
            kind = btf.kind(tid)  # type: ignore[attr-defined]
        if kind not in (BtfKind.INT, BtfKind.ENUM, BtfKind.ENUM64):
            return False
    return True


def percpu_obj_new(env: Env, struct: LocalStruct, type_id: int) -> Reg:
    """The checks of ``check_special_kfunc()`` for bpf_percpu_obj_new_impl, and its R0."""
    if struct.size > PERCPU_MAX_SIZE:
        raise Reject(msg.PERCPU_OBJ_NEW_TOO_BIG.format(size=struct.size, max=PERCPU_MAX_SIZE),
                     errno=_EINVAL)
    local = env.program.local_btf
    if local is not None and getattr(local, "btf", None) is not None:
        try:
            scalar = _scalar_struct(local.btf, type_id, 0)
        except BtfError as exc:
            raise Unsupported(f"bpf_percpu_obj_new of struct {struct.name}: {exc}") from None
    else:  # a program file's TYPE: struct: its members as kfunclab read them
        scalar = all(m.kind is MemberKind.INT or m.kind in _SPECIAL_SCALAR_STRUCTS
                     for m in struct.members)
    if scalar is None:
        raise Unsupported(f"bpf_percpu_obj_new of struct {struct.name}: structs nested more "
                          "than three deep are not modelled")
    if not scalar:
        raise Reject(msg.PERCPU_OBJ_NEW_NOT_SCALAR, errno=_EINVAL)
    if any(m.kind not in (MemberKind.INT, MemberKind.PTR) for m in struct.members):
        raise Reject(msg.PERCPU_OBJ_NEW_SPECIAL, errno=_EINVAL)  # btf_find_struct_meta()
    if local is not None and local.why(type_id):
        raise Unsupported(f"bpf_percpu_obj_new of struct {struct.name}: {local.why(type_id)}")
    return Reg(RegType.PTR_TO_BTF_ID, flags=TypeFlag.ALLOC | TypeFlag.PERCPU,
               btf_id=struct.btf_id, btf_name=struct.name, local=True)
