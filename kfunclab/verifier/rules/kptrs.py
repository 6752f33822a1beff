"""Kptr fields of map values: which tag is referenced under the profile, and what a load or a
store of one does (``check_map_kptr_access()``, ``btf_record_find(.., BPF_KPTR)``)."""

from __future__ import annotations

from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.percpu_kptrs import (
    is_percpu_kptr,
    no_percpu_kptr_inside,
    percpu_kptr_known,
    percpu_kptr_load,
)
from kfunclab.verifier.records import local_has_refcount
from kfunclab.verifier.regs import Reg, RegType, TypeFlag, reg_type_str
from kfunclab.verifier.state import VState
from kfunclab.verifier.trust import in_rcu_cs, kernel_struct_reg

READ, WRITE = "read", "write"


def kptr_member(decl: object, off: int) -> object | None:
    """The kptr field (any tag) at byte ``off`` of map ``decl``'s value, or None: the kernel's
    btf_record_find(map->record, off, BPF_KPTR), asked by check_map_access(), kptr_xchg and
    old kernels' kptr_get. Which tag is referenced is the profile's (is_referenced_kptr)."""
    struct = getattr(decl.value, "struct", None)
    if struct is None:
        return None
    for m in struct.members:
        if m.kind.value in ("kptr", "kptr_untrusted", "kptr_ref", "percpu_kptr") \
                and m.offset == off:
            return m
    return None


def is_referenced_kptr(env: Env, member: object) -> bool:
    """Whether the profile's kernel reads the member's tag as a referenced kptr (the tags swapped
    meaning in 6.4). An unknown tag fails btf_find_kptr(): no map, which kfunclab does not model."""
    tag = member.kind.value
    if tag == "percpu_kptr":  # BPF_KPTR_PERCPU: moved with bpf_kptr_xchg like BPF_KPTR_REF
        percpu_kptr_known(env)
        return True
    if tag == env.profile.kptr_ref_tag:
        return True
    if tag == env.profile.kptr_unref_tag:
        return False
    raise Unsupported(f"'__{tag}' is not a kptr tag in {env.profile.name} (it knows "
                      f"__{env.profile.kptr_ref_tag} and __{env.profile.kptr_unref_tag}): the "
                      "kernel refuses to create such a map")


#: rcu_protected_object(): kernel types whose referenced kptrs load as MEM_RCU in an RCU CS.
RCU_PROTECTED_TYPES = frozenset({"cgroup", "bpf_cpumask", "task_struct", "bpf_crypto_ctx"})


def kptr_access(env: Env, state: VState, member: object, kind: str, value_regno: int,
                 imm: int | None) -> None:
    """``check_map_kptr_access()``."""
    referenced = is_referenced_kptr(env, member)
    if kind == WRITE:
        if referenced:
            raise Reject(msg.KPTR_STORE_NOT_ALLOWED)
        if imm is not None and imm != 0:
            raise Reject(f"BPF_ST imm must be 0 when storing to kptr at off={member.offset}")
        if value_regno >= 0:
            value = state.regs[value_regno]
            if not value.is_null and (value.type is not RegType.PTR_TO_BTF_ID
                                      or value.btf_name != member.type_name):
                # map_kptr_match_type(): an unreferenced kptr also takes an untrusted pointer
                raise Reject(f"invalid kptr access, R{value_regno} type="
                             f"{reg_type_str(value.type, value.flags)}{value.btf_name} expected="
                             f"ptr_{member.type_name} or untrusted_ptr_{member.type_name}")
        return
    if value_regno < 0:
        return
    if is_percpu_kptr(member):
        state.regs[value_regno] = percpu_kptr_load(env, state, member)
        return
    local = env.program.local_named(member.type_name) \
        if env.btf is None or not env.btf.find(member.type_name, "STRUCT") else None
    if local is not None:
        state.regs[value_regno] = _local_kptr_load(env, state, local, referenced)
        return
    flags = TypeFlag.MAYBE_NULL
    if referenced and member.type_name in RCU_PROTECTED_TYPES and in_rcu_cs(env, state):
        flags |= TypeFlag.RCU
    else:
        flags |= TypeFlag.UNTRUSTED
    new = kernel_struct_reg(env, member.type_name, flags)
    state.regs[value_regno] = new.evolve(id=env.new_id())


def _local_kptr_load(env: Env, state: VState, local: object, referenced: bool) -> Reg:
    """``btf_ld_kptr_type()`` for a kptr to the program's own struct (a ``bpf_obj_new``
    object): a type with a ``bpf_refcount`` is RCU-protected (``rcu_protected_object()``), so in
    an RCU critical section the load is ``MEM_RCU | MEM_ALLOC`` (plus ``NON_OWN_REF`` when the
    type is a graph node), maybe NULL; elsewhere it is untrusted."""
    no_percpu_kptr_inside(local, "loading a kptr")
    members = getattr(local, "members", ())
    refcounted = local_has_refcount(env.program, local.name)
    if not (referenced and refcounted and in_rcu_cs(env, state)):
        # PTR_UNTRUSTED into program BTF: btf_struct_access() walks of such a pointer
        raise Unsupported(f"loading a kptr to the program's own struct {local.name} without a "
                          "bpf_refcount, or outside an RCU critical section (an untrusted "
                          "pointer to a program type) is not modelled")
    flags = TypeFlag.MAYBE_NULL | TypeFlag.RCU | TypeFlag.ALLOC
    if any(m.kind.value in ("bpf_list_node", "bpf_rb_node") for m in members):
        flags |= TypeFlag.NON_OWN_REF
    return Reg(RegType.PTR_TO_BTF_ID, flags=int(flags), btf_id=local.btf_id,
               btf_name=local.name, local=True, id=env.new_id())
