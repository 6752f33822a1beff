"""kfunc arguments: ``check_kfunc_args()`` of Linux 6.18 (kernel/bpf/verifier.c).

Each argument is checked in order against its BTF parameter type and annotation (``__sz``,
``__k``, ``__ign``, ``__uninit``, ...): scalars, pointers to kernel structs (trusted, RCU, the
reference a release kfunc takes), memory with its size, dynptrs, iterators and IRQ flags. What
the checks learn for the return goes into :class:`KfuncMeta`; the call itself (state checks,
release, return value) is :mod:`kfunclab.verifier.rules.kfuncs`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kfunclab.btf.types import BtfKind
from kfunclab.ctype import CType, Kind
from kfunclab.isa.program import Member, MemberKind
from kfunclab.kfuncs import KF, Annotation, Kfunc
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.precision import mark_chain_precision
from kfunclab.verifier.records import GRAPH_ARGS, local_has_refcount
from kfunclab.verifier.regs import Reg, RegType, TypeFlag, reg_type_str
from kfunclab.verifier.rules import wq
from kfunclab.verifier.rules.graph import callback_arg, graph_arg
from kfunclab.verifier.rules.memory import check_helper_mem_access
from kfunclab.verifier.state import VState
from kfunclab.verifier.trampoline import css_task_iter_allowed
from kfunclab.verifier.trust import is_rcu_reg, is_trusted_reg

_EINVAL, _EACCES = 22, 13


@dataclass
class KfuncMeta:
    """``struct bpf_kfunc_call_arg_meta``: what the argument checks learn for the return."""

    kfunc: Kfunc
    ref_obj_id: int = 0
    release_regno: int = 0
    arg_constant: int | None = None
    r0_size: int = 0
    r0_rdonly: bool = False
    iter_slot: tuple[int, str] | None = None  # (spi, iterator type) of an iterator argument
    dynptr: tuple[int, str] | None = None  # (spi, type) of the initialised dynptr argument
    dynptr_id: int = 0  # meta->initialized_dynptr.id (what a slice's dynptr_id names)
    dynptr_ref: int = 0  # ... and its ref_obj_id (a clone shares it)
    graph_root: Member | None = None  # the graph root argument's field (arg_list_head.field)
    iter_frame: int = -1  # whose stack holds it: a subprogram may get its caller's iterator
    refcounted: Reg | None = None  # the __refcounted_kptr argument (meta->arg_btf, arg_btf_id)
    arg_owning_ref: bool = False  # ... and whether it was an owning reference
    map_ptr: object | None = None  # meta->map.ptr: a bpf_wq's map, then the __map argument's


def _trusted_args(env: Env, k: Kfunc) -> bool:
    """``is_kfunc_trusted_args()`` under the profile."""
    p = env.profile
    return (p.trusted_args_default or bool(k.flags & KF.TRUSTED_ARGS)
            or (p.release_implies_trusted and bool(k.flags & KF.RELEASE)))


# --- arguments -----------------------------------------------------------------------------------
def check_kfunc_args(env: Env, state: VState, meta: KfuncMeta, idx: int) -> None:
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
        if ann in (Annotation.IGNORE, Annotation.PROG):  # __prog: the verifier passes prog->aux
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


def _scalar_arg(env: Env, state: VState, meta: KfuncMeta, regno: int, reg: Reg,
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


def _pointer_arg(env: Env, state: VState, meta: KfuncMeta, i: int, regno: int, reg: Reg, p: object,
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
    if ann is Annotation.REFCOUNTED_KPTR:
        _refcounted_kptr_arg(env, meta, i, regno, reg)
        return 1
    if ann is Annotation.IRQ_FLAG:
        _irq_arg(env, state, meta, i, regno, reg)
        return 1
    if ann is Annotation.ALLOC:
        if (trusted or rcu) and not is_trusted_reg(reg):
            raise Reject(msg.KFUNC_NOT_TRUSTED.format(regno=regno), errno=_EINVAL)
        if reg.type is not RegType.PTR_TO_BTF_ID or not reg.flags & TypeFlag.ALLOC:
            raise Reject(msg.KFUNC_ALLOC_EXPECTED.format(arg=i), errno=_EINVAL)
        drop = "bpf_percpu_obj_drop_impl" if reg.flags & TypeFlag.PERCPU else "bpf_obj_drop_impl"
        if k.name != drop:  # a bpf_obj_new object to the per-CPU drop, or the other way
            raise Reject(msg.KFUNC_ALLOC_WRONG_DROP.format(arg=i, name=drop), errno=_EINVAL)
        if not reg.ref_obj_id:
            raise Reject(msg.KFUNC_ALLOC_NOT_REFERENCED, errno=_EINVAL)
        _check_reg_off(reg, regno, bool(k.flags & KF.RELEASE), True)
        return 1
    if ann is Annotation.MAP:
        wq.map_arg(env, meta, i, regno, reg, trusted, rcu)
        return 1
    if tname == "bpf_wq" and target is not None and target.kind is Kind.STRUCT:
        wq.wq_arg(env, meta, i, regno, reg)
        return 1
    if target is not None and target.kind is Kind.FUNC:
        callback_arg(i, reg)
        return 1
    if tname in GRAPH_ARGS and target is not None and target.kind is Kind.STRUCT:
        graph_arg(env, state, meta, i, regno, reg, tname)
        return 1
    if reg.type is RegType.PTR_TO_BTF_ID and target is not None and target.kind is Kind.STRUCT:
        _btf_id_arg(env, state, meta, i, regno, reg, tname, trusted, rcu)
        return 1
    sized = next_ann in (Annotation.SIZE, Annotation.CONST_SIZE)
    if (env.profile.trusted_struct_args and (trusted or rcu) and not sized and target is not None
            and target.kind is Kind.STRUCT and reg.type not in (RegType.SCALAR, RegType.NOT_INIT)
            and not is_trusted_reg(reg) and _struct_of_scalars(env, target.name, 0)):
        # probed on patched builds (the live profile): an unsized struct-of-scalars argument is
        # a BTF_ID argument whatever the register holds, so a stack or ctx pointer is not
        # trusted; any other struct still fails as memory first (cgrp_kfunc_acquire_fp: "must
        # point to scalar, or struct with scalar" for a stack pointer as struct cgroup *)
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


def _kptr_get_arg(env: Env, meta: KfuncMeta, reg: Reg, t: CType) -> None:
    """KF_KPTR_GET (doc profile): arg 0 points at a referenced kptr field of a map value."""
    from kfunclab.verifier.rules.kptrs import is_referenced_kptr, kptr_member

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
    if release and reg.off:
        raise Reject(msg.KFUNC_BAD_OFFSET.format(regno=regno), errno=_EINVAL)
    if reg.type in (RegType.PTR_TO_BTF_ID, RegType.PTR_TO_CTX):
        if reg.off < 0:
            raise Reject(f"negative offset {reg_type_str(reg.type, reg.flags)} ptr R{regno} "
                         f"off={reg.off} disallowed", errno=_EACCES)
        if reg.off and not fixed_ok:
            raise Reject(f"dereference of modified {reg_type_str(reg.type, reg.flags)} ptr "
                         f"R{regno} off={reg.off} disallowed", errno=_EACCES)


def _btf_id_arg(env: Env, state: VState, meta: KfuncMeta, i: int, regno: int, reg: Reg, tname: str,
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
    from kfunclab.btf.types import Array

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


def _mem_size_pair(env: Env, state: VState, meta: KfuncMeta, i: int, regno: int, reg: Reg,
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


def _dynptr_arg(env: Env, state: VState, meta: KfuncMeta, i: int, regno: int, reg: Reg,
                ann: Annotation) -> None:
    """``process_dynptr_func()``: an uninit slot pair to construct, or an initialised dynptr
    (:func:`kfunclab.verifier.rules.dynptrs.kfunc_dynptr_arg`)."""
    from kfunclab.verifier.rules.dynptrs import kfunc_dynptr_arg

    kfunc_dynptr_arg(env, state, meta, regno, ann is Annotation.UNINIT)


def _iter_arg(env: Env, state: VState, meta: KfuncMeta, i: int, regno: int, reg: Reg,
              tname: str) -> None:
    """``process_iter_arg()``: ``new`` wants an uninitialised slot, the rest an active one."""
    k = meta.kfunc
    if k.name == "bpf_iter_css_task_new" and not css_task_iter_allowed(env):
        raise Reject(msg.CSS_TASK_ITER_NOT_ALLOWED, errno=_EINVAL)
    short = tname.removeprefix("bpf_iter_")
    spi, note = _stack_slot_of(reg, regno, msg.ITER_NOT_ON_STACK, i, "iter")
    if spi is None:
        text = msg.ITER_EXPECTED_UNINIT if k.flags & KF.ITER_NEW else msg.ITER_EXPECTED_INIT
        raise Reject(text.format(name=short, arg=i), (note,), errno=_EINVAL)
    # func(env, reg): the iterator lives in the frame the pointer points into
    meta.iter_frame = reg.frameno
    slot = state.frames[reg.frameno].stack.get(spi)
    if k.flags & KF.ITER_NEW:
        if slot is not None and slot.types[7] == "i":
            raise Reject(msg.ITER_EXPECTED_UNINIT.format(name=short, arg=i), errno=_EINVAL)
        meta.iter_slot = (spi, short)
        return
    if slot is not None and slot.types[7] == "i" and not slot.spilled.extra \
            and k.flags & KF.RCU_PROTECTED:  # -EPROTO if unlock marked that slot untrusted
        raise Unsupported(f"an argument pointing into a bpf_iter_{short} past its first slot "
                          "(an RCU-protected iterator) is not modelled")
    if slot is None or slot.types[7] != "i" or slot.spilled.extra[0] != short:
        raise Reject(msg.ITER_EXPECTED_INIT.format(name=short, arg=i), errno=_EINVAL)
    if slot.spilled.flags & TypeFlag.UNTRUSTED:  # an RCU-protected iterator after unlock
        raise Reject(msg.ITER_EXPECTED_RCU_CS.format(name=k.name), errno=71)
    meta.iter_slot = (spi, short)
    meta.ref_obj_id = slot.spilled.ref_obj_id
    if k.flags & KF.ITER_DESTROY:
        meta.release_regno = 0


def _irq_arg(env: Env, state: VState, meta: KfuncMeta, i: int, regno: int, reg: Reg) -> None:
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


def _refcounted_kptr_arg(env: Env, meta: KfuncMeta, i: int, regno: int, reg: Reg) -> None:
    """``check_kfunc_args()`` KF_ARG_PTR_TO_REFCOUNTED_KPTR (bpf_refcount_acquire): an owning
    or non-owning reference to an allocated object whose type has a ``bpf_refcount``."""
    if reg.type is not RegType.PTR_TO_BTF_ID or not reg.flags & TypeFlag.ALLOC:
        raise Reject(msg.KFUNC_NOT_OWNING_OR_NON_OWNING.format(arg=i), errno=_EINVAL)
    if reg.off or not reg.var.is_const or reg.var.const_value:
        raise Unsupported(f"a __refcounted_kptr argument of {meta.kfunc.name} pointing inside "
                          "its object is not modelled")
    meta.arg_owning_ref = not reg.flags & TypeFlag.NON_OWN_REF
    struct = env.program.local_type(reg.btf_id) if reg.local else None
    refcounted = struct is not None and local_has_refcount(env.program, struct.name)
    # btf_parse_struct_metas(): a record only for a struct with a special field as a member
    if not refcounted and (struct is None or not any(
            m.kind not in (MemberKind.INT, MemberKind.PTR, MemberKind.TIMER,
                          MemberKind.WORKQUEUE)
            and "." not in m.name for m in struct.members)):
        raise Reject(msg.VERIFIER_BUG_NO_RECORD, errno=14)
    if not refcounted:
        raise Reject(msg.KFUNC_NO_REFCOUNT_FIELD.format(arg=i), errno=_EINVAL)
    meta.refcounted = reg
