"""Trust of kernel pointers: what a load through a ``PTR_TO_BTF_ID`` gives back.

``check_ptr_to_btf_access()`` decides the flags of a pointer read from a struct field: walking a
trusted pointer gives an *untrusted* pointer (or no flags), unless the field is listed as safe —
``BTF_TYPE_SAFE_TRUSTED`` (trusted always), ``BTF_TYPE_SAFE_RCU`` (``MEM_RCU`` inside an RCU
critical section), ``BTF_TYPE_SAFE_RCU_OR_NULL``. The lists are 6.18's (kernel/bpf/verifier.c).

The predicates every rule about kernel pointers asks live here too: :func:`is_trusted_reg`,
:func:`is_rcu_reg`, :func:`in_sleepable`, :func:`in_rcu_cs`, and :func:`kernel_struct_reg` to make
such a pointer.
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
    """``is_rcu_reg()``: a pointer tagged ``MEM_RCU`` (valid inside an RCU critical section)."""
    return bool(reg.flags & TypeFlag.RCU)


def is_trusted_reg(reg: Reg) -> bool:
    """``is_trusted_reg()``: acquired, or PTR_TRUSTED without untrusted/RCU modifiers."""
    if reg.ref_obj_id:
        return True
    if reg.type is not RegType.PTR_TO_BTF_ID:
        return reg.type in (RegType.PTR_TO_SOCKET, RegType.PTR_TO_SOCK_COMMON,
                            RegType.PTR_TO_TCP_SOCK, RegType.PTR_TO_XDP_SOCK)
    unsafe = reg.flags & (TypeFlag.UNTRUSTED | TypeFlag.RCU | TypeFlag.MAYBE_NULL |
                          TypeFlag.RDONLY | TypeFlag.USER | TypeFlag.PERCPU)
    if unsafe:
        return False
    return bool(reg.flags & (TypeFlag.TRUSTED | TypeFlag.ALLOC))


def in_sleepable(env: Env, state: VState) -> bool:
    """``in_sleepable()``: whether the state, not the program, may sleep.

    The kernel asks ``cur_state->in_sleepable``: the program's flag, except on the walk of an
    async callback, which ``push_async_cb()`` starts with ``is_async_cb_sleepable()``: false for
    a timer's (it fires in softirq context), even in a sleepable program; true for a bpf_wq's
    (rules/wq.py). (task_work's callbacks are Unsupported.)

    >>> from types import SimpleNamespace as S
    >>> in_sleepable(S(sleepable=True), S(frames=[S(cb="async_cb")], async_sleepable=False))
    False
    """
    if state.frames[0].cb == "async_cb":
        return bool(getattr(state, "async_sleepable", False))
    return env.sleepable


def in_rcu_cs(env: Env, state: VState) -> bool:
    """``in_rcu_cs()``: inside bpf_rcu_read_lock, with preemption/IRQs off, or non-sleepable."""
    return (bool(state.active_rcu_lock) or bool(state.active_locks)
            or bool(state.active_preempt_locks) or bool(state.active_irq_id)
            or not in_sleepable(env, state))


def kernel_struct_reg(env: Env, struct_name: str, flags: int = 0) -> Reg:
    """A ``PTR_TO_BTF_ID`` of the vmlinux struct ``struct_name``."""
    btf_id = 0
    if env.btf is not None:
        ids = env.btf.find(struct_name, "STRUCT")
        btf_id = ids[0] if ids else 0
    return Reg(RegType.PTR_TO_BTF_ID, flags=int(flags), btf_id=btf_id, btf_name=struct_name)


def walk_btf_pointer(env: Env, state: VState, reg: Reg, off: int, size: int) -> Reg:
    """The register a ``size``-byte load at ``reg + off`` produces (or the kernel's error)."""
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
    struct = reg.btf_name
    field = acc.field_name
    if reg.flags & TypeFlag.UNTRUSTED:
        # every pointer formed by walking an untrusted one is untrusted, and only that: the
        # member's __rcu/__user/__percpu tag is dropped (flag = PTR_UNTRUSTED)
        flag = TypeFlag.UNTRUSTED
    elif is_trusted_reg(reg) or is_rcu_reg(reg):
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
                    # "we always trust them": even through a union (PTR_UNTRUSTED)
                    flag &= ~TypeFlag.UNTRUSTED
            # else the kernel keeps a __percpu/__user pointer as it is and clears the trusted
            # flags of any other: the walk gives none of those here (no MEM_RCU in this
            # branch, no PTR_TRUSTED or MEM_ALLOC ever), so flag stands
        else:
            flag = TypeFlag.UNTRUSTED
    else:
        # old compat (a plain PTR_TO_BTF_ID): clear_trusted_flags() drops an __rcu tag's
        # MEM_RCU and keeps __user/__percpu
        flag &= ~(TypeFlag.TRUSTED | TypeFlag.RCU | TypeFlag.ALLOC | TypeFlag.NON_OWN_REF)
    target = acc.btf_id or 0
    new = Reg(RegType.PTR_TO_BTF_ID, flags=int(flag), btf_id=target, btf_name=btf.name(target))
    if new.flags & TypeFlag.MAYBE_NULL:
        new = new.evolve(id=env.new_id())
    return new


def struct_size(env: Env, btf_id: int) -> int:
    if env.btf is None:
        raise Reject(msg.KFUNC_NOT_FOUND.format(btf_id=btf_id), errno=22)
    return env.btf.sizeof(btf_id)
