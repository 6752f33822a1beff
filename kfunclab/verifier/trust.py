"""Trust of kernel pointers: what a load through a ``PTR_TO_BTF_ID`` gives back.

``check_ptr_to_btf_access()`` decides the flags of a pointer read from a struct field: walking a
trusted pointer gives an *untrusted* pointer (or no flags), unless the field is listed as safe —
``BTF_TYPE_SAFE_TRUSTED`` (trusted always), ``BTF_TYPE_SAFE_RCU`` (``MEM_RCU`` inside an RCU
critical section), ``BTF_TYPE_SAFE_RCU_OR_NULL``. The lists are 6.18's (kernel/bpf/verifier.c).
"""

from __future__ import annotations

from kfunclab.btf.walk import Access
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject
from kfunclab.verifier.regs import UNKNOWN_SCALAR, Reg, RegType, TypeFlag
from kfunclab.verifier.state import VState

# BTF_TYPE_SAFE_RCU(struct X) { fields }: MEM_RCU in an RCU critical section, never NULL
SAFE_RCU: dict[str, frozenset[str]] = {
    "task_struct": frozenset({"cpus_ptr", "cgroups", "real_parent", "group_leader"}),
    "cgroup": frozenset({"kn"}),
    "css_set": frozenset({"dfl_cgrp"}),
    "cgroup_subsys_state": frozenset({"cgroup"}),
}
# BTF_TYPE_SAFE_RCU_OR_NULL: MEM_RCU | PTR_MAYBE_NULL in an RCU critical section
SAFE_RCU_OR_NULL: dict[str, frozenset[str]] = {
    "mm_struct": frozenset({"exe_file", "owner"}),
    "sk_buff": frozenset({"sk"}),
    "request_sock": frozenset({"sk"}),
}
# BTF_TYPE_SAFE_TRUSTED: trusted even outside RCU, never NULL
SAFE_TRUSTED: dict[str, frozenset[str]] = {
    "bpf_iter_meta": frozenset({"seq"}),
    "file": frozenset({"f_inode"}),
    "dentry": frozenset({"d_inode"}),
}
# BTF_TYPE_SAFE_TRUSTED_OR_NULL
SAFE_TRUSTED_OR_NULL: dict[str, frozenset[str]] = {
    "socket": frozenset({"sk"}),
    "vm_area_struct": frozenset({"vm_mm", "vm_file"}),
}


def _listed(table: dict[str, frozenset[str]], struct: str, field: str) -> bool:
    return field in table.get(struct, ())


def is_rcu_reg(reg: Reg) -> bool:
    return bool(reg.flags & TypeFlag.RCU)


def walk_btf_pointer(env: Env, state: VState, reg: Reg, off: int, size: int) -> Reg:
    """The register a ``size``-byte load at ``reg + off`` produces (or the kernel's error)."""
    from kfunclab.verifier.calls import in_rcu_cs, is_trusted_reg

    btf = env.btf
    if btf is None:
        raise Reject("kfunclab: no kernel BTF loaded to type this access", errno=22)
    acc = btf.member_at(reg.btf_id, off, size)
    if acc.access is Access.ERROR:
        raise Reject(acc.message, errno=acc.errno or 13)
    if acc.access is Access.SCALAR:
        return UNKNOWN_SCALAR
    if acc.access is Access.PTR_TO_MEM:
        return Reg(RegType.PTR_TO_MEM, flags=TypeFlag.RDONLY | TypeFlag.UNTRUSTED,
                   mem_size=0)
    flag = 0
    for name in acc.flags:
        flag |= {"MEM_RCU": TypeFlag.RCU, "MEM_USER": TypeFlag.USER,
                 "MEM_PERCPU": TypeFlag.PERCPU, "PTR_UNTRUSTED": TypeFlag.UNTRUSTED,
                 "MEM_RDONLY": TypeFlag.RDONLY}.get(name, 0)
    if reg.flags & TypeFlag.UNTRUSTED:
        flag |= TypeFlag.UNTRUSTED
    struct = reg.btf_name
    field = acc.field_name
    if is_trusted_reg(reg) or is_rcu_reg(reg):
        if _listed(SAFE_TRUSTED, struct, field):
            flag |= TypeFlag.TRUSTED
        elif _listed(SAFE_TRUSTED_OR_NULL, struct, field):
            flag |= TypeFlag.TRUSTED | TypeFlag.MAYBE_NULL
        elif in_rcu_cs(env, state) and not reg.flags & TypeFlag.MAYBE_NULL:
            if _listed(SAFE_RCU, struct, field):
                flag |= TypeFlag.RCU
            elif flag & TypeFlag.RCU or _listed(SAFE_RCU_OR_NULL, struct, field):
                flag |= TypeFlag.RCU | TypeFlag.MAYBE_NULL
                if _listed(SAFE_RCU_OR_NULL, struct, field):
                    flag &= ~TypeFlag.UNTRUSTED
            elif flag & (TypeFlag.PERCPU | TypeFlag.USER):
                pass
            else:
                flag &= ~(TypeFlag.TRUSTED | TypeFlag.RCU | TypeFlag.MAYBE_NULL)
        else:
            flag = TypeFlag.UNTRUSTED
    else:
        flag &= ~(TypeFlag.TRUSTED | TypeFlag.RCU | TypeFlag.MAYBE_NULL)
    target = acc.btf_id or 0
    new = Reg(RegType.PTR_TO_BTF_ID, flags=int(flag), btf_id=target, btf_name=btf.name(target))
    if new.flags & TypeFlag.MAYBE_NULL:
        new = new.evolve(id=env.new_id())
    return new


def struct_size(env: Env, btf_id: int) -> int:
    if env.btf is None:
        raise Reject(msg.KFUNC_NOT_FOUND.format(btf_id=btf_id), errno=22)
    return env.btf.sizeof(btf_id)
