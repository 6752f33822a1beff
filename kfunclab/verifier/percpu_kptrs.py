"""``__percpu_kptr`` map value fields (``BPF_KPTR_PERCPU``) and what ``bpf_kptr_xchg`` checks
of the pointer it stores into any referenced kptr (``map_kptr_match_type()``, Linux 6.18).

A ``struct X __percpu_kptr *pc`` field holds a ``bpf_percpu_obj_new(struct X)`` object, X a
program type. The program moves objects in and out with ``bpf_kptr_xchg`` (what comes out is
``PTR_TO_BTF_ID | MEM_ALLOC | MEM_PERCPU``, a reference to drop with ``bpf_percpu_obj_drop``),
and may load the field in an RCU critical section (``btf_ld_kptr_type()``:
``PTR_TO_BTF_ID | MEM_PERCPU | MEM_RCU``, maybe NULL, printed ``percpu_rcu_ptr_or_null_X``)
to hand it to ``bpf_this_cpu_ptr`` / ``bpf_per_cpu_ptr``. A store is refused as for a
referenced kptr. When the object moves into the map inside an RCU critical section, the copies
the program still holds stay usable as ``percpu_rcu_ptr_X`` (``check_helper_call()``); outside
one they become invalid.

>>> from kfunclab.verifier.regs import reg_type_str, TypeFlag, RegType
>>> reg_type_str(RegType.PTR_TO_BTF_ID, LOAD_FLAGS)
'percpu_rcu_ptr_or_null_'
"""

from __future__ import annotations

from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.references import each_reg, release_reference_nomark, set_reg_at
from kfunclab.verifier.regs import NOT_INIT, UNKNOWN_SCALAR, Reg, RegType, TypeFlag, reg_type_str
from kfunclab.verifier.result import RefEventKind
from kfunclab.verifier.state import VState
from kfunclab.verifier.trust import in_rcu_cs

#: btf_ld_kptr_type() of a BPF_KPTR_PERCPU field in an RCU critical section
LOAD_FLAGS = TypeFlag.MAYBE_NULL | TypeFlag.RCU | TypeFlag.PERCPU
#: check_reg_type() for bpf_kptr_xchg's R2 (btf_ptr_types), after the flags it folds away
_XCHG_VALUE_FLAGS = (0, int(TypeFlag.TRUSTED), int(TypeFlag.RCU))
#: the switch of check_reg_type() on the register's full type: kernel pointers (NULL is refused
#: for a release argument) and allocated objects; anything else is a verifier_bug there
_KERNEL_CASES = frozenset(int(f) for f in (
    TypeFlag.NONE, TypeFlag.TRUSTED, TypeFlag.TRUSTED | TypeFlag.MAYBE_NULL, TypeFlag.RCU,
    TypeFlag.MAYBE_NULL, TypeFlag.MAYBE_NULL | TypeFlag.RCU))
_ALLOC_CASES = frozenset((int(TypeFlag.ALLOC), int(TypeFlag.ALLOC | TypeFlag.PERCPU)))
_EACCES = 13


def is_percpu_kptr(member: object) -> bool:
    """Whether a map value member is a ``__percpu_kptr`` field."""
    return getattr(getattr(member, "kind", None), "value", None) == "percpu_kptr"


def percpu_kptr_known(env: Env) -> None:
    """``btf_find_kptr()`` knows the ``percpu_kptr`` tag from Linux 6.7; before, the map is
    refused at creation, which kfunclab does not model."""
    try:
        version = tuple(int(x) for x in env.profile.kernel.split(".")[:2])
    except (AttributeError, ValueError):
        version = (0, 0)
    if version < (6, 7):
        raise Unsupported(f"'__percpu_kptr' is not a kptr tag in {env.profile.name} (Linux 6.7 "
                          "added it): the kernel refuses to create such a map")


def local_pointee(env: Env, member: object) -> object:
    """``btf_parse_kptr()``: the program struct a ``__percpu_kptr`` field points to. A kernel
    type found by name is a per-cpu kptr into vmlinux BTF, which kfunclab does not model."""
    name = member.type_name  # type: ignore[attr-defined]
    local = env.program.local_named(name)
    if (env.btf is not None and env.btf.find(name, "STRUCT")) or local is None:
        raise Unsupported(f"a __percpu_kptr to struct {name}, a type of the kernel's BTF, is "
                          "not modelled")
    return local


def no_percpu_kptr_inside(local: object | None, what: str) -> None:
    """Objects of a program type holding a ``__percpu_kptr`` are not modelled (their record's
    field, direct access and drop): refuse to produce one rather than guess."""
    members = getattr(local, "members", ())
    if any(getattr(m.kind, "value", None) == "percpu_kptr" for m in members):
        raise Unsupported(f"{what} of struct {local.name}: a __percpu_kptr field in an "  # type: ignore[union-attr]
                          "allocated object is not modelled")


def percpu_kptr_load(env: Env, state: VState, member: object) -> Reg:
    """``check_map_kptr_access()`` for a load of a ``__percpu_kptr`` field: in an RCU critical
    section (non-sleepable programs are always in one) ``MEM_PERCPU | MEM_RCU``, maybe NULL;
    outside one an untrusted pointer to the program type (not modelled)."""
    local = local_pointee(env, member)
    if not in_rcu_cs(env, state):
        raise Unsupported(f"loading the __percpu_kptr of struct {local.name} outside an RCU "  # type: ignore[attr-defined]
                          "critical section (an untrusted pointer to a program type) is not "
                          "modelled")
    return Reg(RegType.PTR_TO_BTF_ID, flags=int(LOAD_FLAGS), btf_id=local.btf_id,  # type: ignore[attr-defined]
               btf_name=local.name, local=True, id=env.new_id())  # type: ignore[attr-defined]


def check_xchg_value(member: object, local: object | None, new: Reg) -> None:
    """``check_reg_type()`` and ``map_kptr_match_type()`` for bpf_kptr_xchg's R2 (not NULL)
    into the referenced kptr ``member`` (``local``: its program type, None for a kernel one)."""
    folded = int(new.flags) & ~TypeFlag.MAYBE_NULL
    if folded & TypeFlag.ALLOC:  # "Local kptr types are allowed as the source argument"
        folded &= ~(TypeFlag.ALLOC | TypeFlag.PERCPU)
    if new.type is not RegType.PTR_TO_BTF_ID or folded not in _XCHG_VALUE_FLAGS:
        raise Reject(msg.ARG_TYPE_MISMATCH.format(regno=2, type=reg_type_str(new.type, new.flags),
                                                  expected=msg.KPTR_XCHG_NEW_TYPES))
    flags = int(new.flags)
    if flags in _KERNEL_CASES:
        if flags & TypeFlag.MAYBE_NULL:  # a release argument may not be NULL
            raise Reject(msg.HELPER_POSSIBLY_NULL.format(regno=2), errno=_EACCES)
    elif flags not in _ALLOC_CASES:
        raise Unsupported(f"bpf_kptr_xchg of a {reg_type_str(new.type, new.flags)} pointer (a "
                          "verifier_bug of check_reg_type()) is not modelled")
    _match_type(member, local, new)


def _match_type(member: object, local: object | None, new: Reg) -> None:
    """``map_kptr_match_type()``: the flags the pointer's BTF allows, then the exact type."""
    percpu = is_percpu_kptr(member)
    want = member.type_name  # type: ignore[attr-defined]
    if new.local:
        perm = TypeFlag.MAYBE_NULL | TypeFlag.ALLOC | (TypeFlag.PERCPU if percpu else 0)
    else:
        perm = TypeFlag.MAYBE_NULL | TypeFlag.TRUSTED | TypeFlag.RCU
    # A __percpu_kptr takes per-CPU objects only: 6.18.15's source lets a plain MEM_ALLOC object
    # (or a kernel pointer) through to the type match, but the 6.18.44 kernel this was checked on
    # refuses both here, before it names the pointer's type (tests/verifier/programs/percpu/)
    wrong_kind = percpu and not new.flags & TypeFlag.PERCPU
    if wrong_kind or int(new.flags) & ~int(perm):  # the type is named only past this test
        raise Reject(msg.KPTR_XCHG_TYPE_MISMATCH.format(
            type=reg_type_str(new.type, new.flags), want=want), errno=_EACCES)
    if new.off < 0 or not new.var.is_const or new.var.const_value:
        raise Unsupported("bpf_kptr_xchg of a pointer with a negative or variable offset "
                          "(__check_ptr_off_reg()) is not modelled")
    if new.local:
        same = local is not None and new.btf_id == local.btf_id  # type: ignore[attr-defined]
    else:
        same = local is None and new.btf_name == want
    if new.off or not same:  # strict btf_struct_ids_match(): no walk into members
        raise Reject(msg.KPTR_XCHG_TYPE_MISMATCH.format(
            type=reg_type_str(new.type, new.flags) + new.btf_name, want=want), errno=_EACCES)


def release_moved(env: Env, state: VState, ref_id: int, insn: int) -> bool:
    """``check_helper_call()`` after bpf_kptr_xchg moved reference ``ref_id`` into the map: in
    an RCU critical section a per-cpu object's copies become ``MEM_PERCPU | MEM_RCU`` without a
    reference (the map keeps the object alive until the section ends); every other copy is
    invalidated (``mark_reg_invalid()``). False when the reference was not held."""
    if not release_reference_nomark(state, ref_id):
        return False
    rcu = in_rcu_cs(env, state)
    invalid = UNKNOWN_SCALAR if env.allow_ptr_leaks else NOT_INIT
    for fno, _place, reg, key in list(each_reg(state)):
        if reg.ref_obj_id != ref_id:
            continue
        if rcu and reg.flags & TypeFlag.ALLOC and reg.flags & TypeFlag.PERCPU:
            flags = (int(reg.flags) & ~TypeFlag.ALLOC) | TypeFlag.RCU
            set_reg_at(state, fno, key, reg.evolve(ref_obj_id=0, flags=flags))
        else:
            set_reg_at(state, fno, key, invalid)
    env.recorder.ref_event(ref_id, RefEventKind.MOVED_TO_MAP, insn, "R2")
    return True
