"""kfunc calls: ``check_kfunc_call()`` of Linux 6.18 (arguments: :mod:`.kfunc_args`).

The order of the checks is the kernel's, because the first failing check decides the message:
visibility for the program type, KF_DESTRUCTIVE, KF_SLEEPABLE, the arguments one by one, the
RCU / preemption / IRQ state, KF_RCU_PROTECTED, the release, then the return value (KF_RET_NULL,
KF_ACQUIRE). What a profile changes (trusted arguments by default in 7.0, KF_KPTR_GET in the
doc's kernel) is read from :class:`~kfunclab.kfuncs.profiles.Profile` fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kfunclab.btf.types import BtfKind
from kfunclab.ctype import Kind
from kfunclab.errors import BtfError
from kfunclab.isa.insn import Call
from kfunclab.kfuncs import KF
from kfunclab.verifier import messages as msg
from kfunclab.verifier import records
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.percpu_kptrs import no_percpu_kptr_inside
from kfunclab.verifier.percpu_objs import percpu_obj_new
from kfunclab.verifier.references import acquire_reference, each_reg, release_reference, set_reg_at
from kfunclab.verifier.regs import UNKNOWN_SCALAR, Reg, RegType, TypeFlag, const
from kfunclab.verifier.result import RefEventKind
from kfunclab.verifier.rules import graph
from kfunclab.verifier.rules.dynptrs import kfunc_slice
from kfunclab.verifier.rules.helper_args import clobber_caller_saved
from kfunclab.verifier.rules.kfunc_args import KfuncMeta, check_kfunc_args
from kfunclab.verifier.rules.rbtree_cb import push_rbtree_add_callback
from kfunclab.verifier.rules.wq import push_wq_callback
from kfunclab.verifier.state import RefKind, StackSlot, VState
from kfunclab.verifier.trust import in_rcu_cs, in_sleepable, kernel_struct_reg
from kfunclab.verifier.widen import find_prev_entry, widen_imprecise_scalars

if TYPE_CHECKING:
    from kfunclab.verifier.branching import Branches

_EINVAL = 22


def check_kfunc_call(env: Env, state: VState, insn: Call, idx: int, explorer: Branches) -> None:
    name = insn.name or ""
    kfunc = env.registry.lookup(name, env.prog_context)
    if kfunc is None:
        raise Reject(msg.KFUNC_NOT_ALLOWED.format(name=name))
    flags = kfunc.flags
    if flags & KF.DESTRUCTIVE and not env.has_cap("cap_sys_boot"):
        raise Reject(msg.KFUNC_DESTRUCTIVE)
    sleepable = bool(flags & KF.SLEEPABLE)
    if sleepable and not in_sleepable(env, state):
        raise Reject(msg.KFUNC_SLEEPABLE_IN_NON_SLEEPABLE.format(name=name))
    meta = KfuncMeta(kfunc)
    check_kfunc_args(env, state, meta, idx)
    if name == "bpf_rbtree_add_impl":
        push_rbtree_add_callback(env, state, meta, idx, explorer)
    if name == "bpf_wq_set_callback_impl":
        push_wq_callback(env, state, meta, idx, explorer)
    if name in ("bpf_obj_drop_impl", "bpf_percpu_obj_drop_impl"):
        graph.drop_site_type(env, state.regs[1], idx)
    _lock_state(env, state, name, sleepable)
    if flags & KF.RCU_PROTECTED and env.profile.rcu_protected_enforced \
            and not in_rcu_cs(env, state):
        raise Reject(msg.KFUNC_RCU_PROTECTED.format(name=name))
    if meta.release_regno:
        reg = state.regs[meta.release_regno]
        if meta.dynptr is None:
            env.recorder.ref_event(reg.ref_obj_id, RefEventKind.PASSED, idx,
                                   f"R{meta.release_regno}", name)
            if not release_reference(env, state, reg.ref_obj_id, idx,
                                     where=f"R{meta.release_regno}"):
                raise Reject(msg.KFUNC_REF_NOT_ACQUIRED.format(name=name,
                                                               btf_id=kfunc.btf_id or 0))
    if name in records.INSERTERS:  # the node's owning reference goes into the root
        node_ref = state.regs[2].ref_obj_id
        graph.convert_owning_non_owning(env, state, node_ref)
        release_reference(env, state, node_ref, idx, where="R2")
    _special_pre_return(env, state, meta, idx)
    clobber_caller_saved(state)
    _set_return(env, state, meta, idx, explorer)


# --- state checks after the arguments ------------------------------------------------------------
def _lock_state(env: Env, state: VState, name: str, sleepable: bool) -> None:
    rcu_lock = name == "bpf_rcu_read_lock"
    rcu_unlock = name == "bpf_rcu_read_unlock"
    if state.active_rcu_lock:
        if rcu_lock:
            raise Reject(msg.RCU_NESTED.format(name=name), errno=_EINVAL)
        if rcu_unlock:
            for fno, _place, reg, key in list(each_reg(state)):
                if reg.flags & TypeFlag.RCU:
                    flags = (reg.flags & ~(TypeFlag.RCU | TypeFlag.MAYBE_NULL)) | \
                        TypeFlag.UNTRUSTED
                    set_reg_at(state, fno, key, reg.evolve(flags=flags))
            state.active_rcu_lock = 0
        elif sleepable:
            raise Reject(msg.KFUNC_SLEEPABLE_IN_RCU.format(name=name))
    elif rcu_lock:
        state.active_rcu_lock = 1
    elif rcu_unlock:
        raise Reject(msg.RCU_UNMATCHED_UNLOCK.format(name=name), errno=_EINVAL)
    disable, enable = name == "bpf_preempt_disable", name == "bpf_preempt_enable"
    if state.active_preempt_locks:
        if disable:
            state.active_preempt_locks += 1
        elif enable:
            state.active_preempt_locks -= 1
        elif sleepable:
            raise Reject(msg.KFUNC_SLEEPABLE_IN_PREEMPT.format(name=name))
    elif disable:
        state.active_preempt_locks += 1
    elif enable:
        raise Reject(msg.PREEMPT_UNMATCHED_ENABLE.format(name=name), errno=_EINVAL)
    if state.active_irq_id and sleepable:
        raise Reject(msg.KFUNC_SLEEPABLE_IN_IRQ.format(name=name))


# --- what the call does --------------------------------------------------------------------------
_ITER_SLOTS = {"num": 1, "bits": 2, "task": 1, "css_task": 1, "css": 1, "task_vma": 1,
               "kmem_cache": 1, "dmabuf": 1}


def _special_pre_return(env: Env, state: VState, meta: KfuncMeta, idx: int) -> None:
    """Stack effects of iterator constructors/destructors, dynptr constructors, IRQ save."""
    k = meta.kfunc
    stack = state.cur.stack
    if meta.iter_slot is not None and meta.iter_slot[1] == "irq":
        spi = meta.iter_slot[0]
        if k.name.endswith("_save"):
            ref = acquire_reference(env, state, idx, k.name, RefKind.IRQ, f"fp{-(spi + 1) * 8}")
            state.active_irq_id = ref
            stack[spi] = StackSlot("ffffffff", Reg(RegType.SCALAR, ref_obj_id=ref,
                                                   extra=("irq",)))
        else:
            slot = stack[spi]
            ref = slot.spilled.ref_obj_id
            if state.active_irq_id != ref:
                exp = next((r for r in state.refs if r.id == state.active_irq_id), None)
                # release_irq_state()'s -EACCES is what unmark_stack_slot_irq_flag() returns
                raise Reject(msg.IRQ_RESTORE_OUT_OF_ORDER.format(
                    expected=state.active_irq_id, insn=exp.insn if exp else 0))
            state.refs = [r for r in state.refs if r.id != ref]
            irqs = [r for r in state.refs if r.kind is RefKind.IRQ]
            state.active_irq_id = irqs[-1].id if irqs else 0
            del stack[spi]
        return
    if meta.iter_slot is not None and meta.iter_frame >= 0:
        stack = state.frames[meta.iter_frame].stack
    if meta.iter_slot is not None and k.flags & KF.ITER_NEW:
        spi, short = meta.iter_slot
        ref = acquire_reference(env, state, idx, k.name, where=f"fp{-(spi + 1) * 8}")
        # a KF_RCU_PROTECTED iterator lives in the RCU section: MEM_RCU until rcu_read_unlock
        rcu = int(TypeFlag.RCU) if k.flags & KF.RCU_PROTECTED else 0
        for n in range(_ITER_SLOTS.get(short, 1)):
            extra = (short, "active", 0) if n == 0 else (short, "", 0)
            stack[spi - n] = StackSlot("iiiiiiii", Reg(RegType.SCALAR, flags=rcu,
                                                       ref_obj_id=ref if n == 0 else 0,
                                                       extra=extra))
        return
    if meta.iter_slot is not None and k.flags & KF.ITER_DESTROY:
        spi, short = meta.iter_slot
        ref = stack[spi].spilled.ref_obj_id
        release_reference(env, state, ref, idx, where=f"fp{-(spi + 1) * 8}")
        for n in range(_ITER_SLOTS.get(short, 1)):
            stack.pop(spi - n, None)
        return


def _set_return(env: Env, state: VState, meta: KfuncMeta, idx: int, explorer: Branches) -> None:
    k = meta.kfunc
    flags = k.flags
    ret = k.ret
    regs = state.regs
    if flags & KF.ACQUIRE and ret.pointee_struct is None \
            and k.name not in env.profile.acquire_ret_exempt:
        raise Reject(msg.KFUNC_ACQUIRE_NOT_BTF, errno=_EINVAL)
    if ret.kind is Kind.VOID:
        return
    if ret.is_scalar:
        regs[0] = UNKNOWN_SCALAR
        return
    if ret.kind is not Kind.PTR:
        regs[0] = UNKNOWN_SCALAR
        return
    r0 = _special_return(env, state, meta, idx)
    target = ret.target
    if r0 is None:
        if target is None or target.kind is Kind.VOID:
            regs[0] = UNKNOWN_SCALAR
            return
        if target.kind is not Kind.STRUCT:
            size = meta.r0_size or (target.size if target.kind in (Kind.INT, Kind.ENUM) else 0)
            if not size:
                raise Reject(msg.KFUNC_RET_PTR_NOT_SUPPORTED.format(
                    name=k.name, kind=target.kernel_kind_name(), tname=target.name),
                    errno=_EINVAL)
            rflags = TypeFlag.RDONLY if (meta.r0_rdonly or not meta.r0_size) else 0
            if flags & KF.RCU_PROTECTED:
                rflags |= TypeFlag.RCU
            r0 = Reg(RegType.PTR_TO_MEM, flags=int(rflags), mem_size=size,
                     ref_obj_id=meta.ref_obj_id)
        else:
            rflags = 0
            if flags & KF.RCU_PROTECTED:
                rflags |= TypeFlag.RCU
            if flags & KF.ITER_NEXT:
                it = (state.frames[meta.iter_frame].stack.get(meta.iter_slot[0])
                      if meta.iter_slot else None)
                rcu_iter = it is not None and it.spilled.flags & TypeFlag.RCU
                rflags |= TypeFlag.RCU if rcu_iter else TypeFlag.TRUSTED
            r0 = kernel_struct_reg(env, target.name, rflags)
    ret_null = flags & KF.RET_NULL and not meta.arg_owning_ref  # is_kfunc_ret_null()
    if ret_null:
        r0 = r0.evolve(flags=r0.flags | TypeFlag.MAYBE_NULL, id=env.new_id())
    if flags & KF.ACQUIRE:
        ref = acquire_reference(env, state, idx, k.name)
        r0 = r0.evolve(ref_obj_id=ref, id=ref if ret_null else r0.id)
    elif k.name in records.NODE_RETURNS:
        r0 = graph.set_non_owning(env, r0)
    if r0.local and not r0.id and records.may_point_to_spin_lock(env, r0):
        r0 = r0.evolve(id=env.new_id())
    regs[0] = r0
    if flags & KF.ITER_NEXT and meta.iter_slot is not None:
        _iter_next(env, state, meta, idx, explorer)


def _special_return(env: Env, state: VState, meta: KfuncMeta, idx: int) -> Reg | None:
    """``check_special_kfunc()``: obj_new, rdonly_cast, cast_to_kern_ctx, dynptr slices."""
    name = meta.kfunc.name
    if name in records.NODE_RETURNS:
        return graph.node_return(env, meta)
    if name == "bpf_refcount_acquire_impl" and meta.refcounted is not None:
        arg = meta.refcounted  # PTR_TO_BTF_ID | MEM_ALLOC of the argument's type
        return Reg(RegType.PTR_TO_BTF_ID, flags=TypeFlag.ALLOC, btf_id=arg.btf_id,
                   btf_name=arg.btf_name, local=True)
    if name in ("bpf_obj_new_impl", "bpf_percpu_obj_new_impl"):
        type_id = meta.arg_constant or 0
        if not 0 <= type_id < 1 << 32:
            raise Reject(msg.KFUNC_OBJ_NEW_ID_RANGE, errno=_EINVAL)
        if not env.program.has_prog_btf:
            raise Reject(msg.KFUNC_OBJ_NEW_NEEDS_BTF, errno=_EINVAL)
        struct = env.program.local_type(type_id)
        if struct is None:
            raise Reject(msg.KFUNC_OBJ_NEW_TYPE, errno=_EINVAL)
        if name == "bpf_percpu_obj_new_impl":
            return percpu_obj_new(env, struct, type_id)
        no_percpu_kptr_inside(struct, "bpf_obj_new")
        if env.program.local_btf is not None and env.program.local_btf.why(type_id):
            raise Unsupported(f"bpf_obj_new of struct {struct.name}: "
                              f"{env.program.local_btf.why(type_id)}")
        return Reg(RegType.PTR_TO_BTF_ID, flags=TypeFlag.ALLOC, btf_id=struct.btf_id,
                   btf_name=struct.name, local=True)
    if name == "bpf_rdonly_cast":
        # the same id gives the same (immutable) register: read BTF once per id and run
        cache = env.__dict__.setdefault("rdonly_cast_regs", {})
        value = meta.arg_constant or 0
        reg = cache.get(value)
        if reg is None:
            reg = cache[value] = _rdonly_cast(env, value)
        return reg
    if name == "bpf_cast_to_kern_ctx":
        kern = env.prog_type.context.kern
        return kernel_struct_reg(env, kern.name, TypeFlag.TRUSTED)
    if name in ("bpf_dynptr_slice", "bpf_dynptr_slice_rdwr"):
        return kfunc_slice(env, meta)
    return None


def _rdonly_cast(env: Env, value: int) -> Reg:
    """``check_special_kfunc()`` for bpf_rdonly_cast: a struct/union id (no modifiers skipped)
    gives an untrusted PTR_TO_BTF_ID, void (0) read-only untrusted memory of size 0."""
    if value >= 1 << 63:
        value -= 1 << 64  # the kernel prints arg_constant.value with %lld
    if env.btf is None:
        raise Unsupported("bpf_rdonly_cast needs the kernel's BTF to know what type "
                          f"{value} is (no BTF is in use)")
    if not 0 <= value < len(env.btf):
        raise Reject(msg.KFUNC_RDONLY_CAST_UNKNOWN.format(value=value), errno=_EINVAL)
    try:
        kind = env.btf.kind(value)
    except BtfError as exc:  # a bundled snapshot leaves out types no lesson uses
        raise Unsupported(f"bpf_rdonly_cast to type id {value}: {exc}") from None
    if kind in (BtfKind.STRUCT, BtfKind.UNION):
        return Reg(RegType.PTR_TO_BTF_ID, flags=TypeFlag.UNTRUSTED, btf_id=value,
                   btf_name=env.btf.name(value))
    if kind is BtfKind.UNKN:
        return Reg(RegType.PTR_TO_MEM, flags=TypeFlag.RDONLY | TypeFlag.UNTRUSTED, mem_size=0)
    raise Reject(msg.KFUNC_RDONLY_CAST_TYPE, errno=_EINVAL)


def _iter_next(env: Env, state: VState, meta: KfuncMeta, idx: int, explorer: Branches) -> None:
    """``process_iter_next_call()``: fork an active iteration; this path sees it drained."""
    spi, short = meta.iter_slot  # type: ignore[misc]
    frame = meta.iter_frame
    stack = state.frames[frame].stack
    slot = stack[spi]
    it = slot.spilled
    _, it_state, depth = it.extra[:3]
    if it_state == "active":
        queued = explorer.push_branch(state, idx + 1, idx)
        qstack = queued.frames[frame].stack
        qslot = qstack[spi]
        qstack[spi] = StackSlot(qslot.types, qslot.spilled.evolve(
            extra=(short, "active", depth + 1)))
        r0 = queued.regs[0]
        queued.regs[0] = r0.evolve(flags=r0.flags & ~TypeFlag.MAYBE_NULL, id=0)
        _widen_imprecise(state, queued, idx)
    stack[spi] = StackSlot(slot.types, it.evolve(extra=(short, "drained", depth)))
    state.regs[0] = const(0)


def _widen_imprecise(cur: VState, queued: VState, idx: int) -> None:
    """``widen_imprecise_scalars()`` against the previous iteration's checkpoint at this call."""
    prev = find_prev_entry(cur, idx)
    if prev is not None and len(prev.frames) == len(queued.frames):
        widen_imprecise_scalars(prev, queued)
