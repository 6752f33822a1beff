"""kfunc calls: ``check_kfunc_call()`` and ``check_kfunc_args()`` of Linux 6.18.

The order of the checks is the kernel's, because the first failing check decides the message:
visibility for the program type, KF_DESTRUCTIVE, KF_SLEEPABLE, the arguments one by one, the
RCU / preemption / IRQ state, KF_RCU_PROTECTED, the release, then the return value (KF_RET_NULL,
KF_ACQUIRE). What a profile changes (trusted arguments by default in 7.0, KF_KPTR_GET in the
doc's kernel) is read from :class:`~kfunclab.kfuncs.profiles.Profile` fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kfunclab.btf.types import BtfKind
from kfunclab.ctype import CType, Kind
from kfunclab.errors import BtfError
from kfunclab.isa.insn import Call
from kfunclab.kfuncs import KF, Annotation, Kfunc
from kfunclab.verifier import messages as msg
from kfunclab.verifier.calls import clobber_caller_saved
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.memory import PKT_WRITERS, check_helper_mem_access
from kfunclab.verifier.precision import mark_chain_precision
from kfunclab.verifier.references import acquire_reference, each_reg, release_reference, set_reg_at
from kfunclab.verifier.regs import UNKNOWN_SCALAR, Reg, RegType, TypeFlag, const, reg_type_str
from kfunclab.verifier.result import RefEventKind
from kfunclab.verifier.state import RefKind, StackSlot, VState
from kfunclab.verifier.trust import in_rcu_cs, is_rcu_reg, is_trusted_reg, kernel_struct_reg

if TYPE_CHECKING:
    from kfunclab.verifier.branching import Branches

_EINVAL, _EACCES = 22, 13


@dataclass
class _Meta:
    """``struct bpf_kfunc_call_arg_meta``: what the argument checks learn for the return."""

    kfunc: Kfunc
    ref_obj_id: int = 0
    release_regno: int = 0
    arg_constant: int | None = None
    r0_size: int = 0
    r0_rdonly: bool = False
    iter_slot: tuple[int, str] | None = None  # (spi, iterator type) of an iterator argument
    dynptr: tuple[int, str] | None = None


def _trusted_args(env: Env, k: Kfunc) -> bool:
    """``is_kfunc_trusted_args()`` under the profile."""
    p = env.profile
    return (p.trusted_args_default or bool(k.flags & KF.TRUSTED_ARGS)
            or (p.release_implies_trusted and bool(k.flags & KF.RELEASE)))


def check_kfunc_call(env: Env, state: VState, insn: Call, idx: int, explorer: Branches) -> None:
    name = insn.name or ""
    kfunc = env.registry.lookup(name, env.prog_context)
    if kfunc is None:
        raise Reject(msg.KFUNC_NOT_ALLOWED.format(name=name))
    flags = kfunc.flags
    if flags & KF.DESTRUCTIVE and not env.has_cap("cap_sys_boot"):
        raise Reject(msg.KFUNC_DESTRUCTIVE)
    sleepable = bool(flags & KF.SLEEPABLE)
    if sleepable and not env.sleepable:
        raise Reject(msg.KFUNC_SLEEPABLE_IN_NON_SLEEPABLE.format(name=name))
    meta = _Meta(kfunc)
    _check_args(env, state, meta, idx)
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


# --- arguments -----------------------------------------------------------------------------------
def _check_args(env: Env, state: VState, meta: _Meta, idx: int) -> None:
    """``check_kfunc_args()``."""
    k = meta.kfunc
    params = [p for p in k.params if p.name or p.ctype.kind is not Kind.UNKNOWN]
    if len(params) > env.profile.max_args:
        raise Reject(msg.KFUNC_TOO_MANY_ARGS.format(name=k.name, count=len(params),
                                                    max=env.profile.max_args), errno=_EINVAL)
    trusted = _trusted_args(env, k)
    rcu = bool(k.flags & KF.RCU)
    i = 0
    while i < len(params):
        p = params[i]
        regno = i + 1
        reg = state.regs[regno]
        t = p.ctype
        ann = p.annotation
        if ann is Annotation.IGNORE:
            i += 1
            continue
        if t.is_scalar:
            _scalar_arg(env, state, meta, regno, reg, ann)
            i += 1
            continue
        if t.kind is not Kind.PTR:
            raise Reject(msg.KFUNC_UNRECOGNIZED_ARG.format(arg=i, type=t.kernel_kind_name()),
                         errno=_EINVAL)
        nullable = ann is Annotation.NULLABLE or (
            ann is Annotation.OPTIONAL and env.profile.opt_exempts_null_check)
        if (trusted or rcu) and (reg.is_null or reg.flags & TypeFlag.MAYBE_NULL) \
                and not nullable:
            raise Reject(msg.KFUNC_POSSIBLY_NULL.format(arg=i))
        if reg.ref_obj_id and reg.type is not RegType.NOT_INIT:
            meta.ref_obj_id = reg.ref_obj_id
            if k.flags & KF.RELEASE:
                meta.release_regno = regno
        next_ann = params[i + 1].annotation if i + 1 < len(params) else Annotation.NONE
        consumed = _pointer_arg(env, state, meta, i, regno, reg, p, next_ann, trusted, rcu)
        i += consumed
    if k.flags & KF.RELEASE and not meta.release_regno:
        raise Reject(msg.KFUNC_RELEASE_NO_REF.format(name=k.name), errno=_EINVAL)


def _scalar_arg(env: Env, state: VState, meta: _Meta, regno: int, reg: Reg,
                ann: Annotation) -> None:
    if reg.type is not RegType.SCALAR:
        raise Reject(msg.KFUNC_ARG_NOT_SCALAR.format(regno=regno), errno=_EINVAL)
    if ann is Annotation.CONSTANT:
        if not reg.var.is_const:
            raise Reject(msg.KFUNC_ARG_NOT_CONST.format(regno=regno), errno=_EINVAL)
        mark_chain_precision(env, state, {regno})
        meta.arg_constant = reg.var.const_value
    elif ann in (Annotation.RDONLY_BUF_SIZE, Annotation.RDWR_BUF_SIZE):
        if meta.r0_size:
            raise Reject("2 or more rdonly/rdwr_buf_size parameters for kfunc", errno=_EINVAL)
        if not reg.var.is_const:
            raise Reject(msg.KFUNC_ARG_NOT_CONST_BUF.format(regno=regno), errno=_EINVAL)
        meta.r0_size = reg.var.const_value
        meta.r0_rdonly = ann is Annotation.RDONLY_BUF_SIZE
        mark_chain_precision(env, state, {regno})


def _struct_name(t: CType) -> str:
    return t.target.name if t.target is not None else ""


def _pointer_arg(env: Env, state: VState, meta: _Meta, i: int, regno: int, reg: Reg, p: object,
                 next_ann: Annotation, trusted: bool, rcu: bool) -> int:
    """One pointer argument (``get_kfunc_ptr_arg_type`` then its case). Returns args consumed."""
    k = meta.kfunc
    t: CType = p.ctype  # type: ignore[attr-defined]
    ann: Annotation = p.annotation  # type: ignore[attr-defined]
    target = t.target
    tname = target.name if target is not None else ""
    ctx_type = env.prog_type.context.ctype
    is_ctx = (k.name == "bpf_cast_to_kern_ctx"
              or (target is not None and target.kind is Kind.STRUCT and ctx_type.kind is Kind.STRUCT
                  and tname == ctx_type.name))
    if i == 0 and env.profile.kptr_get and k.flags & KF.KPTR_GET:
        _kptr_get_arg(env, meta, reg, t)
        return 1
    if is_ctx:
        if reg.type is not RegType.PTR_TO_CTX:
            raise Reject(msg.KFUNC_EXPECTED_CTX.format(arg=i, type=reg_type_str(reg.type,
                                                                                 reg.flags)),
                         errno=_EINVAL)
        _check_reg_off(reg, regno, bool(k.flags & KF.RELEASE and reg.ref_obj_id), False)
        return 1
    if ann is Annotation.NULLABLE and reg.is_null:
        return 1
    if tname == "bpf_dynptr":
        _dynptr_arg(env, state, meta, i, regno, reg, ann)
        return 1
    if tname.startswith("bpf_iter_") and target is not None and target.kind is Kind.STRUCT:
        _iter_arg(env, state, meta, i, regno, reg, tname)
        return 1
    if ann is Annotation.IRQ_FLAG:
        _irq_arg(env, state, meta, i, regno, reg)
        return 1
    if ann is Annotation.ALLOC:
        if (trusted or rcu) and not is_trusted_reg(reg):
            raise Reject(msg.KFUNC_NOT_TRUSTED.format(regno=regno), errno=_EINVAL)
        if reg.type is not RegType.PTR_TO_BTF_ID or not reg.flags & TypeFlag.ALLOC:
            raise Reject(msg.KFUNC_ALLOC_EXPECTED.format(arg=i), errno=_EINVAL)
        if not reg.ref_obj_id:
            raise Reject(msg.KFUNC_ALLOC_NOT_REFERENCED, errno=_EINVAL)
        _check_reg_off(reg, regno, bool(k.flags & KF.RELEASE), True)
        return 1
    if reg.type is RegType.PTR_TO_BTF_ID and target is not None and target.kind is Kind.STRUCT:
        _btf_id_arg(env, state, meta, i, regno, reg, tname, trusted, rcu)
        return 1
    sized = next_ann in (Annotation.SIZE, Annotation.CONST_SIZE)
    if (env.profile.trusted_struct_args and (trusted or rcu) and not sized and target is not None
            and target.kind is Kind.STRUCT and reg.type not in (RegType.SCALAR, RegType.NOT_INIT)
            and not is_trusted_reg(reg)):
        # probed on patched builds (the live profile): an unsized struct argument is a BTF_ID
        # argument whatever the register holds, so a stack or ctx pointer is not trusted
        raise Reject(msg.KFUNC_NOT_TRUSTED.format(regno=regno), errno=_EINVAL)
    _mem_arg_type_check(env, i, target, sized)
    if sized:
        _mem_size_pair(env, state, meta, i, regno, reg, ann, next_ann)
        return 2
    if reg.type is RegType.PTR_TO_BTF_ID:
        return 1
    size = _resolve_size(env, target)
    if not reg.is_null:
        saved = state.regs[regno]
        if reg.flags & TypeFlag.MAYBE_NULL:
            state.regs[regno] = reg.evolve(flags=reg.flags & ~TypeFlag.MAYBE_NULL)
        try:
            check_helper_mem_access(env, state, regno, size, "read", True)
            check_helper_mem_access(env, state, regno, size, "write", True)
        finally:
            state.regs[regno] = saved
    return 1


def _kptr_get_arg(env: Env, meta: _Meta, reg: Reg, t: CType) -> None:
    """KF_KPTR_GET (doc profile): arg 0 points at a referenced kptr field of a map value."""
    from kfunclab.verifier.memory import is_referenced_kptr, kptr_member

    if reg.type is not RegType.PTR_TO_MAP_VALUE or reg.flags & TypeFlag.MAYBE_NULL:
        raise Reject(msg.KPTR_GET_EXPECTED_MAP_VALUE, errno=_EINVAL)
    if not reg.var.is_const:
        raise Reject(msg.KPTR_GET_CONST_OFFSET, errno=_EINVAL)
    off = reg.off + reg.var.const_value
    member = kptr_member(reg.map, off)
    if member is None or not is_referenced_kptr(env, member):
        raise Reject(msg.KPTR_GET_NO_KPTR.format(off=off), errno=_EINVAL)
    inner = t.target.target if t.target is not None else None  # struct X ** -> struct X
    want = inner.name if inner is not None else ""
    if want != member.type_name:
        raise Reject(msg.KPTR_GET_WRONG_TYPE.format(name=meta.kfunc.name, arg=0, kind="STRUCT",
                                                    tname=want), errno=_EINVAL)


def _check_reg_off(reg: Reg, regno: int, release: bool, fixed_ok: bool) -> None:
    """``check_func_arg_reg_off()``."""
    if release and reg.off and not reg.flags & TypeFlag.ALLOC:
        raise Reject(msg.KFUNC_BAD_OFFSET.format(regno=regno), errno=_EINVAL)
    if reg.type in (RegType.PTR_TO_BTF_ID, RegType.PTR_TO_CTX):
        if reg.off < 0:
            raise Reject(f"negative offset {reg_type_str(reg.type, reg.flags)} ptr R{regno} "
                         f"off={reg.off} disallowed", errno=_EACCES)
        if reg.off and not fixed_ok:
            raise Reject(f"dereference of modified {reg_type_str(reg.type, reg.flags)} ptr "
                         f"R{regno} off={reg.off} disallowed", errno=_EACCES)


def _btf_id_arg(env: Env, state: VState, meta: _Meta, i: int, regno: int, reg: Reg, tname: str,
                trusted: bool, rcu: bool) -> None:
    """``KF_ARG_PTR_TO_BTF_ID``: trust, offset and the type (``process_kf_arg_ptr_to_btf_id``)."""
    k = meta.kfunc
    if (trusted or rcu) and not is_trusted_reg(reg):
        if not rcu:
            raise Reject(msg.KFUNC_NOT_TRUSTED.format(regno=regno), errno=_EINVAL)
        if not is_rcu_reg(reg):
            raise Reject(msg.KFUNC_NOT_RCU.format(regno=regno), errno=_EINVAL)
    release = bool(k.flags & KF.RELEASE and reg.ref_obj_id)
    _check_reg_off(reg, regno, release, True)
    unsafe = reg.flags & ~(TypeFlag.TRUSTED | TypeFlag.ALLOC | TypeFlag.NON_OWN_REF)
    if unsafe and not is_rcu_reg(reg):
        safe_part = reg.flags & (TypeFlag.TRUSTED | TypeFlag.ALLOC | TypeFlag.NON_OWN_REF)
        raise Reject(msg.KFUNC_BTF_ARG_TYPE.format(
            arg=i, type=reg_type_str(reg.type, reg.flags),
            expected=reg_type_str(reg.type, safe_part)), errno=_EINVAL)
    if reg.local:
        return
    btf = env.btf
    if btf is None:
        return
    want = btf.find(tname, "STRUCT")
    if not want:
        return
    strict = release or tname.endswith("___init") or reg.btf_name.endswith("___init")
    same = btf.struct_ids_match(reg.btf_id, reg.off, want[0], strict)
    projection = {"__sk_buff": "sk_buff", "xdp_md": "xdp_buff"}.get(tname) == reg.btf_name
    if not same and not projection:
        raise Reject(msg.KFUNC_BTF_MISMATCH.format(
            name=k.name, arg=i, exp_kind="STRUCT", exp_name=tname, regno=regno,
            got_kind="STRUCT", got_name=reg.btf_name), errno=_EINVAL)


def _mem_arg_type_check(env: Env, i: int, target: CType | None, sized: bool) -> None:
    """Rule 17 of ``get_kfunc_ptr_arg_type``: memory must be scalars (or void with a size)."""
    if target is None:
        return
    if target.kind is Kind.VOID and sized:
        return
    if target.kind in (Kind.INT, Kind.ENUM):
        return
    if target.kind is Kind.STRUCT and _struct_of_scalars(env, target.name, 0):
        return
    kind = target.kernel_kind_name()
    raise Reject(msg.KFUNC_MEM_NOT_SCALAR_STRUCT.format(
        arg=i, kind=kind, name=target.kernel_type_name(), void="void, " if sized else ""),
        errno=_EINVAL)


def _struct_of_scalars(env: Env, name: str, depth: int) -> bool:
    """``__btf_type_is_scalar_struct()``: only scalars (and arrays of them), 4 levels deep."""
    btf = env.btf
    if btf is None:
        return False
    ids = btf.find(name, "STRUCT") or btf.find(name, "UNION")
    return bool(ids) and _scalar_struct_id(btf, ids[0], depth)


def _scalar_struct_id(btf: object, type_id: int, depth: int) -> bool:
    from kfunclab.btf.types import Array, BtfKind

    if depth > 4:
        return False
    for m in btf.struct_members(type_id):  # type: ignore[attr-defined]
        tid = btf.skip_modifiers(m.type)  # type: ignore[attr-defined]
        kind = btf.kind(tid)  # type: ignore[attr-defined]
        while kind is BtfKind.ARRAY:
            arr = btf.type_by_id(tid)  # type: ignore[attr-defined]
            assert isinstance(arr, Array)
            tid = btf.skip_modifiers(arr.type)  # type: ignore[attr-defined]
            kind = btf.kind(tid)  # type: ignore[attr-defined]
        if kind in (BtfKind.INT, BtfKind.ENUM, BtfKind.ENUM64):
            continue
        if kind in (BtfKind.STRUCT, BtfKind.UNION) and _scalar_struct_id(btf, tid, depth + 1):
            continue
        return False
    return True


def _resolve_size(env: Env, target: CType | None) -> int:
    if target is None:
        return 0
    if target.kind in (Kind.INT, Kind.ENUM):
        return target.size
    if env.btf is not None and target.kind is Kind.STRUCT:
        ids = env.btf.find(target.name, "STRUCT")
        if ids:
            return env.btf.sizeof(ids[0])
    return target.size


def _mem_size_pair(env: Env, state: VState, meta: _Meta, i: int, regno: int, reg: Reg,
                   ann: Annotation, size_ann: Annotation) -> None:
    """``KF_ARG_PTR_TO_MEM_SIZE``: the (buffer, size) pair must describe valid memory."""
    size_reg = state.regs[regno + 1]
    if not (reg.is_null and ann is Annotation.OPTIONAL):
        try:
            _check_mem_size_reg(env, state, regno, reg, size_reg)
        except Reject as inner:
            raise Reject(msg.KFUNC_MEM_LEN_PAIR.format(arg=i, size_arg=i + 1),
                         (*inner.context, inner.message), errno=inner.errno) from None
    if size_ann is Annotation.CONST_SIZE:
        if size_reg.type is not RegType.SCALAR or not size_reg.var.is_const:
            raise Reject(msg.KFUNC_ARG_NOT_CONST.format(regno=regno + 1), errno=_EINVAL)
        meta.arg_constant = size_reg.var.const_value


def _check_mem_size_reg(env: Env, state: VState, mem_regno: int, mem: Reg, size_reg: Reg) -> None:
    """``check_kfunc_mem_size_reg()`` / ``check_mem_size_reg()``, read then write."""
    size_regno = mem_regno + 1
    if size_reg.type is not RegType.SCALAR:
        raise Reject(msg.KFUNC_ARG_NOT_SCALAR.format(regno=size_regno), errno=_EINVAL)
    var = size_reg.var
    if var.smin < 0:
        raise Reject(msg.NEGATIVE_MEM_SIZE.format(regno=size_regno))
    if var.umax >= 1 << 29:
        raise Reject(msg.UNBOUNDED_MEM_ACCESS.format(regno=size_regno))
    saved = state.regs[mem_regno]
    if mem.flags & TypeFlag.MAYBE_NULL:
        state.regs[mem_regno] = mem.evolve(flags=mem.flags & ~TypeFlag.MAYBE_NULL)
    try:
        for kind in ("read", "write"):  # check_mem_size_reg() runs once for each
            check_helper_mem_access(env, state, mem_regno, var.umax, kind, True)
            mark_chain_precision(env, state, {size_regno})
    finally:
        state.regs[mem_regno] = saved


# --- dynptrs, iterators, irq flags ----------------------------------------------------------------
def _stack_slot_of(reg: Reg, regno: int, what: str, i: int, kind: str
                   ) -> tuple[int | None, str]:
    """``stack_slot_obj_get_spi()`` for a ``kind`` ("dynptr", "iter", "irq_flag") argument:
    (slot index, "") or (None, the line it logs); the caller then refuses the argument with
    its own message (``is_iter_reg_valid_uninit()`` ... fail), as the kernel does."""
    if reg.type is not RegType.PTR_TO_STACK:
        raise Reject(what.format(arg=i), errno=_EINVAL)
    if not reg.var.is_const:
        return None, msg.STACK_OBJ_NOT_CONST.format(kind=kind)
    off = reg.off + reg.var.const_value
    if off >= 1 << 63:
        off -= 1 << 64
    if off % 8:
        return None, msg.STACK_OBJ_AT_OFFSET.format(kind=kind, off=off)
    return (-off - 1) // 8, ""


def _dynptr_arg(env: Env, state: VState, meta: _Meta, i: int, regno: int, reg: Reg,
                ann: Annotation) -> None:
    """``process_dynptr_func()``: an uninit slot pair to construct, or an initialised dynptr."""
    if reg.type is RegType.CONST_PTR_TO_DYNPTR:
        meta.dynptr = (-1, "local")
        return
    spi, note = _stack_slot_of(reg, regno, msg.DYNPTR_NOT_ON_STACK, i, "dynptr")
    if spi is None:
        text = (msg.DYNPTR_EXPECTED_UNINIT if ann is Annotation.UNINIT
                else msg.DYNPTR_EXPECTED_INIT.format(arg=i + 1))
        raise Reject(text, (note,), errno=_EINVAL)
    stack = state.cur.stack
    if ann is Annotation.UNINIT:
        meta.dynptr = (spi, "uninit")
        return
    slot = stack.get(spi)
    if slot is None or slot.types[7] != "d":
        raise Reject(msg.DYNPTR_EXPECTED_INIT.format(arg=i), errno=_EINVAL)
    meta.dynptr = (spi, slot.spilled.extra[0] if slot.spilled.extra else "local")


def _iter_arg(env: Env, state: VState, meta: _Meta, i: int, regno: int, reg: Reg,
              tname: str) -> None:
    """``process_iter_arg()``: ``new`` wants an uninitialised slot, the rest an active one."""
    k = meta.kfunc
    short = tname.removeprefix("bpf_iter_")
    spi, note = _stack_slot_of(reg, regno, msg.ITER_NOT_ON_STACK, i, "iter")
    if spi is None:
        text = msg.ITER_EXPECTED_UNINIT if k.flags & KF.ITER_NEW else msg.ITER_EXPECTED_INIT
        raise Reject(text.format(name=short, arg=i), (note,), errno=_EINVAL)
    slot = state.cur.stack.get(spi)
    if k.flags & KF.ITER_NEW:
        if slot is not None and slot.types[7] == "i":
            raise Reject(msg.ITER_EXPECTED_UNINIT.format(name=short, arg=i), errno=_EINVAL)
        meta.iter_slot = (spi, short)
        return
    if slot is not None and slot.types[7] == "i" and not slot.spilled.extra:
        raise Unsupported(f"an iterator argument that is not the first slot of a "
                          f"bpf_iter_{short} is not modelled")
    if slot is None or slot.types[7] != "i" or slot.spilled.extra[0] != short:
        raise Reject(msg.ITER_EXPECTED_INIT.format(name=short, arg=i), errno=_EINVAL)
    if slot.spilled.flags & TypeFlag.UNTRUSTED:  # an RCU-protected iterator after unlock
        raise Reject(msg.ITER_EXPECTED_RCU_CS.format(name=k.name), errno=71)
    meta.iter_slot = (spi, short)
    meta.ref_obj_id = slot.spilled.ref_obj_id
    if k.flags & KF.ITER_DESTROY:
        meta.release_regno = 0


def _irq_arg(env: Env, state: VState, meta: _Meta, i: int, regno: int, reg: Reg) -> None:
    spi, note = _stack_slot_of(reg, regno, msg.IRQ_FLAG_NOT_STACK, i, "irq_flag")
    saving = meta.kfunc.name.endswith("_save")
    if spi is None:
        text = msg.IRQ_FLAG_EXPECTED_UNINIT if saving else msg.IRQ_FLAG_EXPECTED_INIT
        raise Reject(text.format(arg=i), (note,), errno=_EINVAL)
    slot = state.cur.stack.get(spi)
    if saving:
        if slot is not None and slot.types[7] == "f":
            raise Reject(msg.IRQ_FLAG_EXPECTED_UNINIT.format(arg=i), errno=_EINVAL)
    elif slot is None or slot.types[7] != "f":
        raise Reject(msg.IRQ_FLAG_EXPECTED_INIT.format(arg=i), errno=_EINVAL)
    meta.iter_slot = (spi, "irq")


# --- what the call does --------------------------------------------------------------------------
_ITER_SLOTS = {"num": 1, "bits": 2, "task": 1, "css_task": 1, "css": 1, "task_vma": 1,
               "kmem_cache": 1, "dmabuf": 1}


def _special_pre_return(env: Env, state: VState, meta: _Meta, idx: int) -> None:
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
    if meta.dynptr is not None and meta.dynptr[1] == "uninit":
        spi = meta.dynptr[0]
        dtype = "skb" if "skb" in k.name else "xdp" if "xdp" in k.name else "local"
        dyn_id = env.new_id()
        stack[spi] = StackSlot("dddddddd", Reg(RegType.SCALAR, id=dyn_id, extra=(dtype, 0)))
        stack[spi - 1] = StackSlot("dddddddd", Reg(RegType.SCALAR, id=dyn_id, extra=(dtype, 1)))


def _set_return(env: Env, state: VState, meta: _Meta, idx: int, explorer: Branches) -> None:
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
                it = state.cur.stack.get(meta.iter_slot[0]) if meta.iter_slot else None
                rcu_iter = it is not None and it.spilled.flags & TypeFlag.RCU
                rflags |= TypeFlag.RCU if rcu_iter else TypeFlag.TRUSTED
            r0 = kernel_struct_reg(env, target.name, rflags)
    if flags & KF.RET_NULL:
        r0 = r0.evolve(flags=r0.flags | TypeFlag.MAYBE_NULL, id=env.new_id())
    if flags & KF.ACQUIRE:
        ref = acquire_reference(env, state, idx, k.name)
        r0 = r0.evolve(ref_obj_id=ref, id=ref if flags & KF.RET_NULL else r0.id)
    regs[0] = r0
    if flags & KF.ITER_NEXT and meta.iter_slot is not None:
        _iter_next(env, state, meta, idx, explorer)


def _special_return(env: Env, state: VState, meta: _Meta, idx: int) -> Reg | None:
    """``check_special_kfunc()``: obj_new, rdonly_cast, cast_to_kern_ctx, dynptr slices."""
    name = meta.kfunc.name
    if name in ("bpf_obj_new_impl", "bpf_percpu_obj_new_impl"):
        if not env.program.has_prog_btf:
            raise Reject(msg.KFUNC_OBJ_NEW_NEEDS_BTF, errno=_EINVAL)
        struct = env.program.local_type(meta.arg_constant or 0)
        if struct is None:
            raise Reject(msg.KFUNC_OBJ_NEW_TYPE, errno=_EINVAL)
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
    if name == "bpf_dynptr_slice_rdwr" and (env.prog_type.prog_type not in PKT_WRITERS or (
            meta.dynptr is not None and meta.dynptr[1] in ("skb", "xdp", "uninit"))):
        raise Unsupported("bpf_dynptr_slice_rdwr() of a packet dynptr (when the kernel allows "
                          "writes to packet data through it) is not modelled")
    if name in ("bpf_dynptr_slice", "bpf_dynptr_slice_rdwr"):
        size = meta.arg_constant or 0
        flags = TypeFlag.RDONLY if name == "bpf_dynptr_slice" else 0
        return Reg(RegType.PTR_TO_MEM, flags=int(flags), mem_size=size)
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


def _iter_next(env: Env, state: VState, meta: _Meta, idx: int, explorer: Branches) -> None:
    """``process_iter_next_call()``: fork an active iteration; this path sees it drained."""
    spi, short = meta.iter_slot  # type: ignore[misc]
    stack = state.cur.stack
    slot = stack[spi]
    it = slot.spilled
    _, it_state, depth = it.extra[:3]
    if it_state == "active":
        queued = explorer.push_branch(state, idx + 1, idx)
        qslot = queued.cur.stack[spi]
        queued.cur.stack[spi] = StackSlot(qslot.types, qslot.spilled.evolve(
            extra=(short, "active", depth + 1)))
        r0 = queued.regs[0]
        queued.regs[0] = r0.evolve(flags=r0.flags & ~TypeFlag.MAYBE_NULL, id=0)
        _widen_imprecise(state, queued, idx)
    stack[spi] = StackSlot(slot.types, it.evolve(extra=(short, "drained", depth)))
    state.regs[0] = const(0)


def _widen_imprecise(cur: VState, queued: VState, idx: int) -> None:
    """``widen_imprecise_scalars()``: scalars that changed since the last visit become unknown."""
    # find_prev_entry(): the checkpoint of the previous iteration at this next call (the parent
    # chain starts with the one just stored for this iteration)
    prev = cur.parent.parent if cur.parent is not None else None
    while prev is not None and prev.insn_idx != idx:
        prev = prev.parent
    if prev is None:
        return
    for r, (old, new) in enumerate(zip(prev.regs, queued.regs, strict=True)):
        if (old.type is RegType.SCALAR and new.type is RegType.SCALAR and not old.precise
                and not new.precise and old.var != new.var):
            queued.regs[r] = UNKNOWN_SCALAR
    for spi, slot in list(queued.cur.stack.items()):
        old_slot = prev.cur.stack.get(spi)
        if (old_slot is not None and slot.types == "rrrrrrrr" and old_slot.types == slot.types
                and slot.spilled.type is RegType.SCALAR and old_slot.spilled.type is RegType.SCALAR
                and not slot.spilled.precise and not old_slot.spilled.precise
                and slot.spilled.var != old_slot.spilled.var):
            queued.cur.stack[spi] = StackSlot(slot.types, UNKNOWN_SCALAR)
