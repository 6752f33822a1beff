"""One instruction's effect on a path: ``do_check_insn()`` and ALU / jump semantics.

:func:`step_insn` checks the instruction against the current state, updates the state in place
and says where the path goes next (an instruction index, or :data:`EXIT`). Memory access lives in
:mod:`kfunclab.verifier.rules.memory`, calls and exits in :mod:`kfunclab.verifier.calls`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kfunclab.isa.insn import (
    Alu,
    AluOp,
    Atomic,
    Call,
    CallKind,
    Endian,
    Exit,
    Goto,
    Imm64Kind,
    JmpOp,
    Jump,
    Load,
    LoadImm64,
    LoadPacket,
    MayGoto,
    Store,
    StoreImm,
)
from kfunclab.verifier import callbacks, calls, exceptions
from kfunclab.verifier import messages as msg
from kfunclab.verifier import scalar as sc
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.ldabs import check_ld_abs
from kfunclab.verifier.linkconst import link_delta
from kfunclab.verifier.precision import mark_chain_precision, record_linked_regs
from kfunclab.verifier.references import each_reg, mark_ptr_or_null_regs, set_reg_at
from kfunclab.verifier.regnums import check_reg_numbers
from kfunclab.verifier.regs import (
    UNKNOWN_SCALAR,
    Reg,
    RegType,
    TypeFlag,
    const,
    plain_scalar,
    reg_type_str,
    signed64,
)
from kfunclab.verifier.result import RefEventKind
from kfunclab.verifier.rules import helpers, memory
from kfunclab.verifier.rules.kfuncs import check_kfunc_call
from kfunclab.verifier.rules.maygoto import check_may_goto
from kfunclab.verifier.rules.sockets import infer_not_null_on_eq
from kfunclab.verifier.state import StackSlot, VState
from kfunclab.verifier.tailcall_exit import next_after_call
from kfunclab.verifier.trust import is_trusted_reg  # moved there; still importable from here

if TYPE_CHECKING:
    from kfunclab.verifier.branching import Branches

EXIT = -1

_ALU_STR = {
    AluOp.ADD: "+=", AluOp.SUB: "-=", AluOp.MUL: "*=", AluOp.DIV: "/=", AluOp.OR: "|=",
    AluOp.AND: "&=", AluOp.LSH: "<<=", AluOp.RSH: ">>=", AluOp.NEG: "neg", AluOp.MOD: "%=",
    AluOp.XOR: "^=", AluOp.MOV: "=", AluOp.ARSH: "s>>=",
}
_PTR_ARITH_OK = frozenset({
    RegType.PTR_TO_CTX, RegType.PTR_TO_MAP_VALUE, RegType.PTR_TO_MAP_KEY, RegType.PTR_TO_STACK,
    RegType.PTR_TO_PACKET_META, RegType.PTR_TO_PACKET, RegType.PTR_TO_TP_BUFFER,
    RegType.PTR_TO_BTF_ID, RegType.PTR_TO_MEM, RegType.PTR_TO_BUF, RegType.PTR_TO_FUNC,
    RegType.CONST_PTR_TO_DYNPTR,
})
_S32_MAX = (1 << 31) - 1
# enum members bound once for the per-instruction checks (a member lookup costs ~0.1 us)
_NOT_INIT, _SCALAR = RegType.NOT_INIT, RegType.SCALAR
_NEG, _MOV, _ADD = AluOp.NEG, AluOp.MOV, AluOp.ADD
_DIV_MOD = frozenset({AluOp.DIV, AluOp.MOD})
_SHIFT_OPS = frozenset({AluOp.LSH, AluOp.RSH, AluOp.ARSH})
_AND_OR = frozenset({AluOp.AND, AluOp.OR})
_MAYBE_NULL = int(TypeFlag.MAYBE_NULL)


def read_reg(state: VState, regno: int) -> Reg:
    """``check_reg_arg(SRC_OP)``: the register must have been written."""
    reg = state.frames[-1].regs[regno]
    if reg.type is _NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=regno))
    return reg


def check_dst(regno: int) -> None:
    """``check_reg_arg(DST_OP)``: r10 is read only."""
    if regno == 10:
        raise Reject(msg.FRAME_POINTER_READ_ONLY)


def step_insn(env: Env, state: VState, insn: object, idx: int, explorer: Branches) -> int:
    """Check and apply ``insn`` at ``idx``; the next instruction index, or :data:`EXIT`."""
    check_reg_numbers(insn)
    match insn:
        case Alu():
            check_alu(env, state, insn, idx, explorer)
            return idx + 1
        case Load():
            memory.check_load(env, state, insn, idx)
            return idx + 1
        case Store() | StoreImm():
            memory.check_store(env, state, insn, idx)
            return idx + 1
        case Jump():
            env.jmps_processed += 1
            return check_cond_jmp(env, state, insn, idx, explorer)
        case Goto(off=off):
            env.jmps_processed += 1
            return idx + 1 + off
        case MayGoto():
            env.jmps_processed += 1
            return check_may_goto(env, state, insn, idx, explorer)
        case Call(kind=CallKind.SUBPROG, imm=imm):
            env.jmps_processed += 1
            if idx + 1 + imm in env.program.global_funcs:
                from kfunclab.verifier.globalfunc import check_global_call

                check_global_call(env, state, idx, idx + 1 + imm)
                return idx + 1
            return calls.enter_subprog(env, state, idx, idx + 1 + imm)
        case Call(kind=CallKind.KFUNC, imm=0, name=None):
            # an unresolved __weak kfunc (BTF id 0): check_kfunc_call() skips it, and
            # fixup_kfunc_call() refuses the program if the call survives dead-code removal
            env.jmps_processed += 1
            env.aux.setdefault(-1, {}).setdefault("unresolved_kfunc", idx)
            return idx + 1
        case Call():
            env.jmps_processed += 1
            if check_call(env, state, insn, idx, explorer):
                return EXIT  # bpf_throw: an exception exit ends the path
            return next_after_call(env, state, insn, idx, explorer)  # a tail call may return
        case Exit():
            env.jmps_processed += 1
            if len(state.frames) > 1:
                if state.frames[-1].cb:  # a sync callback goes back to its call site
                    return callbacks.exit_callback(env, state, explorer)  # type: ignore[arg-type]
                return calls.exit_subprog(env, state)
            calls.check_exit(env, state, idx)
            return EXIT
        case LoadImm64(kind=Imm64Kind.FUNC):
            callbacks.load_func(env, state, insn, idx)
            return idx + 2
        case LoadImm64():
            check_ld_imm64(env, state, insn)
            return idx + 2
        case Endian(dst=dst, kind=kind, bits=bits):
            reg = read_reg(state, dst)
            check_dst(dst)
            if reg.type is not RegType.SCALAR:
                if not env.allow_ptr_leaks:
                    raise Reject(msg.POINTER_ARITH_PROHIBITED.format(
                        regno=dst, type=reg_type_str(reg.type, reg.flags)))
                state.regs[dst] = UNKNOWN_SCALAR
            else:
                state.regs[dst] = Reg(RegType.SCALAR, var=sc.endian(kind, bits, reg.var))
            return idx + 1
        case Atomic():
            memory.check_atomic(env, state, insn, idx)
            return idx + 1
        case LoadPacket():
            check_ld_abs(env, state, insn)
            return idx + 1
    raise Reject(f"invalid BPF instruction at {idx}")  # pragma: no cover - parser guards


# --- ALU ---------------------------------------------------------------------------------------
#: kfuncs callable while a bpf_spin_lock is held (kfunc_spin_allowed(): the graph API)
_SPIN_ALLOWED_KFUNCS = frozenset({
    "bpf_list_push_front_impl", "bpf_list_push_back_impl", "bpf_list_pop_front",
    "bpf_list_pop_back", "bpf_list_front", "bpf_list_back", "bpf_rbtree_add_impl",
    "bpf_rbtree_remove", "bpf_rbtree_first", "bpf_rbtree_root", "bpf_rbtree_left",
    "bpf_rbtree_right", "bpf_obj_drop_impl", "bpf_percpu_obj_drop_impl",
    "bpf_refcount_acquire_impl"})


def check_call(env: Env, state: VState, insn: Call, idx: int, explorer: Branches) -> bool:
    """A helper or kfunc call: ``do_check_insn()``'s BPF_CALL case, after the lock check.

    True when the call ends the path (``bpf_throw``: ``process_bpf_exit_full()``)."""
    if state.active_locks:
        helper = (insn.name or "").removeprefix("bpf_")
        allowed = (helper == "spin_unlock" if insn.kind is CallKind.HELPER
                   else insn.name in _SPIN_ALLOWED_KFUNCS)
        if not allowed:
            raise Reject(msg.CALL_WHILE_LOCKED, errno=22)
    if insn.kind is CallKind.KFUNC:
        callbacks.check_callback_kfunc(state, insn, idx)
        cookie = state.regs[1]  # bpf_throw's R1, before the call clobbers it
        check_kfunc_call(env, state, insn, idx, explorer)
        return insn.name == "bpf_throw" and exceptions.throw_exit(env, state, idx, cookie)
    if not callbacks.check_callback_helper(env, state, insn, idx, explorer):  # type: ignore[arg-type]
        helpers.check_helper_call(env, state, insn, idx)
    return False


def check_alu(env: Env, state: VState, insn: Alu, idx: int,
              explorer: Branches | None = None) -> None:
    """``check_alu_op()``."""
    regs = state.frames[-1].regs
    op, dst, src = insn.op, insn.dst, insn.src
    if op is _NEG:
        reg = read_reg(state, dst)
        if reg.type is not RegType.SCALAR:
            raise Reject(msg.POINTER_ARITH_PROHIBITED.format(
                regno=dst, type=reg_type_str(reg.type, reg.flags)))
        check_dst(dst)
        regs[dst] = Reg(RegType.SCALAR, var=sc.neg(reg.var, insn.wide))
        return
    if op is _MOV:
        _check_mov(env, state, insn, idx)
        return
    # read_reg() inlined (it runs for every ALU instruction): it is called only to refuse
    if src is not None:
        operand = regs[src]
        if operand.type is _NOT_INIT:
            read_reg(state, src)
    dst_reg = regs[dst]
    if dst_reg.type is _NOT_INIT:
        read_reg(state, dst)
    if src is None:
        imm = insn.imm
        if op in _DIV_MOD and imm == 0:
            raise Reject(msg.DIV_BY_ZERO, errno=22)
        if op in _SHIFT_OPS and (imm < 0 or imm >= (64 if insn.wide else 32)):
            raise Reject(msg.INVALID_SHIFT.format(amount=imm), errno=22)
        if dst == 10:
            check_dst(dst)
        operand = const(imm if insn.wide else imm & 0xFFFF_FFFF)
    elif dst == 10:
        check_dst(dst)
    if dst_reg.type is not _SCALAR or operand.type is not _SCALAR:
        _pointer_alu(env, state, insn, dst_reg, operand, idx)
        return
    if src is not None and dst_reg.precise:
        mark_chain_precision(env, state, {src})
    dst_var = dst_reg.var
    # maybe_fork_scalars() only splits AND and OR
    fork = (sc.fork_scalars(op, dst_var, operand.var)
            if explorer is not None and op in _AND_OR else None)
    if fork is not None:
        # maybe_fork_scalars(): `x s>> 63; x &= K` is explored as x = -1 here and x = 0 in a
        # pushed state that runs this instruction again
        here, pushed = fork
        branch = explorer.push_branch(state, idx, idx)
        branch.regs[dst] = Reg(RegType.SCALAR, var=pushed)
        dst_var = here
    value = sc.alu(op, dst_var, operand.var, insn.wide, insn.off)
    link = (link_delta(op, insn.wide, operand.var, dst_var.umax) if dst_reg.id and env.privileged
            and not (dst_reg.extra and dst_reg.extra[0] == "add_const") else None)
    if link is not None:  # dst += K keeps the id, K in off (linkconst.py)
        regs[dst] = Reg(RegType.SCALAR, var=value, id=dst_reg.id, off=link[0], extra=link[1])
        return
    regs[dst] = plain_scalar(value)


def _check_mov(env: Env, state: VState, insn: Alu, idx: int) -> None:
    regs = state.frames[-1].regs
    dst, src = insn.dst, insn.src
    if src is None:
        check_dst(dst)
        value = insn.imm if insn.wide else insn.imm & 0xFFFF_FFFF
        regs[dst] = const(value)
        return
    src_reg = read_reg(state, src)
    check_dst(dst)
    if src_reg.type is _SCALAR:
        # a 32-bit move of a value known to fit 32 bits links the registers too
        u32_src = insn.off == 0 and (insn.wide or src_reg.var.umax <= 0xFFFF_FFFF)
        if u32_src and (src_reg.extra or not src_reg.id):  # assign_scalar_id_before_mov()
            if src_reg.extra[:1] == ("add_const",):  # r1 = r2 + K links no further
                src_reg = src_reg.evolve(id=0, off=0, extra=())
                regs[src] = src_reg
            if not src_reg.id and not src_reg.var.is_const:
                src_reg = src_reg.evolve(id=env.new_id())
                regs[src] = src_reg
        if insn.wide and insn.off == 0:
            regs[dst] = src_reg
            return
        value = sc.alu(AluOp.MOV, src_reg.var, src_reg.var, insn.wide, insn.off)
        regs[dst] = src_reg.evolve(var=value) if u32_src else Reg(RegType.SCALAR, var=value)
        return
    if insn.wide and insn.off == 0:
        regs[dst] = src_reg
        if src_reg.ref_obj_id:
            env.recorder.ref_event(src_reg.ref_obj_id, RefEventKind.COPIED, idx, f"R{dst}",
                                   f"r{dst} = r{src}")
        return
    if not env.allow_ptr_leaks:
        raise Reject(f"R{src} partial copy of pointer")
    # check_alu_op(): mark_reg_unknown(), then a 32-bit move zero-extends (zext_32_to_64)
    regs[dst] = UNKNOWN_SCALAR if insn.wide else Reg(
        RegType.SCALAR, var=sc.alu(AluOp.MOV, UNKNOWN_SCALAR.var, UNKNOWN_SCALAR.var, False, 0))


def _pointer_alu(env: Env, state: VState, insn: Alu, dst_reg: Reg, operand: Reg,
                 idx: int) -> None:
    """``adjust_reg_min_max_vals()`` when a pointer is involved."""
    op, dst = insn.op, insn.dst
    if dst_reg.type is not RegType.SCALAR and operand.type is not RegType.SCALAR:
        if op is AluOp.SUB and env.allow_ptr_leaks:
            state.regs[dst] = UNKNOWN_SCALAR
            return
        raise Reject(msg.POINTER_POINTER_ARITH.format(regno=dst) if op is AluOp.SUB else
                     f"R{dst} pointer {_ALU_STR[op]} pointer prohibited")
    if dst_reg.type is RegType.SCALAR:  # scalar += pointer
        if insn.src is not None:
            mark_chain_precision(env, state, {dst})
        ptr, off_reg, swapped = operand, dst_reg, True
    else:
        if insn.src is not None:
            mark_chain_precision(env, state, {insn.src})
        ptr, off_reg, swapped = dst_reg, operand, False
    state.regs[dst] = adjust_ptr(env, insn, ptr, off_reg, swapped)


_MAX_VAR_OFF = 1 << 29  # BPF_MAX_VAR_OFF


def _check_sane_offset(var: sc.Scalar, off: int, type_str: str) -> None:
    """``check_reg_sane_offset()``: offsets a pointer may carry (-EINVAL otherwise)."""
    if var.is_const:
        val = signed64(var.const_value)
        if val >= _MAX_VAR_OFF or val <= -_MAX_VAR_OFF:
            raise Reject(msg.PTR_MATH_CONST_TOO_BIG.format(type=type_str, val=val), errno=22)
    if off >= _MAX_VAR_OFF or off <= -_MAX_VAR_OFF:
        raise Reject(msg.PTR_OFFSET_TOO_BIG.format(type=type_str, off=off), errno=22)
    if var.smin == -(1 << 63):
        raise Reject(msg.PTR_MATH_UNBOUNDED_MIN.format(type=type_str), errno=22)
    if var.smin >= _MAX_VAR_OFF or var.smin <= -_MAX_VAR_OFF:
        raise Reject(msg.PTR_OUT_OF_BOUNDS.format(val=var.smin, type=type_str), errno=22)


def _fits_s32(v: int) -> bool:
    return -(1 << 31) <= v < (1 << 31)


def adjust_ptr(env: Env, insn: Alu, ptr: Reg, off_reg: Reg, swapped: bool) -> Reg:
    """``adjust_ptr_min_max_vals()``: pointer plus or minus a scalar."""
    op, dst = insn.op, insn.dst
    type_str = reg_type_str(ptr.type, ptr.flags)
    if not insn.wide:
        if op is AluOp.SUB and env.allow_ptr_leaks:
            return UNKNOWN_SCALAR
        raise Reject(msg.POINTER_ALU32.format(regno=dst))
    if ptr.flags & TypeFlag.MAYBE_NULL:
        raise Reject(msg.POINTER_ARITH_NULL.format(regno=dst, type=type_str))
    value = off_reg.var
    known = value.is_const
    if ptr.type not in _PTR_ARITH_OK:
        allowed = (ptr.type is RegType.CONST_PTR_TO_MAP and known and value.const_value == 0
                   and op is AluOp.ADD) or (ptr.type is RegType.PTR_TO_FLOW_KEYS and known)
        if not allowed:
            raise Reject(msg.POINTER_ARITH_PROHIBITED.format(regno=dst, type=type_str))
    # both operands first, then the operator, then the result (the kernel's order)
    _check_sane_offset(value, 0, type_str)
    _check_sane_offset(ptr.var, ptr.off, type_str)
    if op in (AluOp.AND, AluOp.OR, AluOp.XOR):
        raise Reject(f"R{dst} bitwise operator {_ALU_STR[op]} on pointer prohibited")
    if op not in (AluOp.ADD, AluOp.SUB):
        raise Reject(f"R{dst} pointer arithmetic with {_ALU_STR[op]} operator prohibited")
    if op is AluOp.SUB and swapped:
        raise Reject(f"R{dst} tried to subtract pointer from scalar")
    if op is AluOp.SUB and ptr.type is RegType.PTR_TO_STACK:
        raise Reject(f"R{dst} subtraction from stack pointer prohibited")
    if known:  # pointer += K: accumulated into the fixed offset while it fits an s32
        delta = signed64(value.const_value)
        new_off = ptr.off + delta if op is AluOp.ADD else ptr.off - delta
        if _fits_s32(new_off):
            _check_sane_offset(ptr.var, new_off, type_str)  # the result
            return ptr.evolve(off=new_off)
    var = sc.alu(op, ptr.var, value, True)
    _check_sane_offset(var, ptr.off, type_str)
    changes: dict = {"var": var}
    if ptr.type in (RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META):
        changes.update(id=env.new_id(), range=0)
    return ptr.evolve(**changes)


# --- 64-bit immediates -------------------------------------------------------------------------
def check_ld_imm64(env: Env, state: VState, insn: LoadImm64) -> None:
    check_dst(insn.dst)
    if insn.kind is Imm64Kind.PLAIN:
        state.regs[insn.dst] = const(insn.imm)
        return
    if insn.kind is Imm64Kind.MAP_FD:
        decl = env.program.map_named(insn.map_name or "")
        if decl is None:
            raise Reject(msg.MAP_NOT_FOUND.format(fd=insn.imm), errno=9)
        state.regs[insn.dst] = Reg(RegType.CONST_PTR_TO_MAP, map=decl)
        return
    if insn.kind is Imm64Kind.MAP_VALUE:
        decl = env.program.map_named(insn.map_name or "")
        if decl is None:
            raise Reject(msg.MAP_NOT_FOUND.format(fd=insn.imm), errno=9)
        if insn.imm >= decl.value.size:  # check_ld_imm64() via map_direct_value_addr()
            raise Reject(msg.MAP_VALUE_OFF_TOO_BIG.format(off=insn.imm, size=decl.value.size),
                         errno=22)
        state.regs[insn.dst] = Reg(RegType.PTR_TO_MAP_VALUE, map=decl, off=insn.imm)
        return
    if insn.kind is Imm64Kind.FUNC:  # a callback; only bpf_rbtree_add's is modelled
        state.regs[insn.dst] = Reg(RegType.PTR_TO_FUNC, extra=(insn.imm,))
        return
    if insn.kind is Imm64Kind.BTF_ID and env.btf is not None:
        from kfunclab.btf.types import BtfKind

        if env.btf.kind(insn.imm) is BtfKind.FUNC:  # a kfunc's address (bpf_ksym_exists())
            state.regs[insn.dst] = Reg(RegType.PTR_TO_MEM, flags=TypeFlag.RDONLY, mem_size=0)
            return
    raise Unsupported(f"ld_imm64 with src_reg={insn.kind.value} ({insn.kind.name}) is not "
                      "modelled by kfunclab")


# --- conditional jumps -------------------------------------------------------------------------
def _reg_not_null(reg: Reg) -> bool:
    """``reg_not_null()``: pointers the kernel knows cannot be NULL."""
    if reg.flags & TypeFlag.MAYBE_NULL:
        return False
    t = reg.type
    if t in (RegType.PTR_TO_SOCKET, RegType.PTR_TO_TCP_SOCK, RegType.PTR_TO_MAP_VALUE,
             RegType.PTR_TO_MAP_KEY, RegType.PTR_TO_SOCK_COMMON, RegType.CONST_PTR_TO_MAP):
        return True
    if t is RegType.PTR_TO_BTF_ID:
        return is_trusted_reg(reg)
    return t is RegType.PTR_TO_MEM and not reg.flags & TypeFlag.UNTRUSTED


_FLIP = {JmpOp.JEQ: JmpOp.JEQ, JmpOp.JNE: JmpOp.JNE, JmpOp.JSET: JmpOp.JSET,
         JmpOp.JGT: JmpOp.JLT, JmpOp.JLT: JmpOp.JGT, JmpOp.JGE: JmpOp.JLE, JmpOp.JLE: JmpOp.JGE,
         JmpOp.JSGT: JmpOp.JSLT, JmpOp.JSLT: JmpOp.JSGT, JmpOp.JSGE: JmpOp.JSLE,
         JmpOp.JSLE: JmpOp.JSGE}


def _branch_taken(op: JmpOp, a: Reg, b: Reg, wide: bool, same: bool) -> bool | None:
    """``is_branch_taken()``."""
    if a.type is RegType.SCALAR and b.type is RegType.SCALAR:
        return sc.branch_taken(op, a.var, b.var, wide)
    if a.is_pointer and b.is_pointer:
        return None
    ptr, other = (a, b) if a.is_pointer else (b, a)
    if not other.var.is_const or not _reg_not_null(ptr):
        return None
    if (other.var.const_value if wide else other.var.const_value & 0xFFFF_FFFF) != 0:
        return None
    if op is JmpOp.JEQ:
        return False
    if op is JmpOp.JNE:
        return True
    return None


def check_cond_jmp(env: Env, state: VState, insn: Jump, idx: int, explorer: Branches) -> int:
    """``check_cond_jmp_op()``: follow a decided branch, or push the taken edge and refine."""
    dst, src = insn.dst, insn.src
    if src is not None:
        src_reg = read_reg(state, src)
        if src_reg.is_pointer and not env.allow_ptr_leaks:
            raise Reject(msg.POINTER_COMPARISON.format(regno=src))
    else:
        imm = insn.imm if insn.wide else insn.imm & 0xFFFF_FFFF
        src_reg = const(imm)
    dst_reg = read_reg(state, dst)
    target = idx + 1 + insn.off
    same = src is not None and src == dst
    pred = _branch_taken(insn.op, dst_reg, src_reg, insn.wide, same)
    if pred is not None:
        marks = set()
        if dst_reg.type is RegType.SCALAR:
            marks.add(dst)
        if src is not None and src_reg.type is RegType.SCALAR:
            marks.add(src)
        if marks and dst_reg.type is RegType.SCALAR:
            mark_chain_precision(env, state, marks)
        return target if pred else idx + 1
    # before the push, so both branches share the record
    record_linked_regs(env, state, idx, dst_reg, src_reg)
    other = explorer.push_branch(state, target, idx)
    live_taken = explorer.live.regs_before(target)
    live_fall = explorer.live.regs_before(idx + 1)
    if dst_reg.type is RegType.SCALAR and src_reg.type is RegType.SCALAR:
        taken = sc.refine(insn.op, dst_reg.var, src_reg.var, insn.wide, True, same)
        fall = sc.refine(insn.op, dst_reg.var, src_reg.var, insn.wide, False, same)
        if taken is not None:
            _set_scalar(other, dst, dst_reg, taken[0], live_taken)
            if src is not None:
                _set_scalar(other, src, src_reg, taken[1], live_taken)
        if fall is not None:
            _set_scalar(state, dst, dst_reg, fall[0], live_fall)
            if src is not None:
                _set_scalar(state, src, src_reg, fall[1], live_fall)
    if insn.wide and src is not None and insn.op in (JmpOp.JEQ, JmpOp.JNE):
        infer_not_null_on_eq(other if insn.op is JmpOp.JEQ else state, dst_reg, src_reg, dst, src)
    if (insn.wide and src is None and insn.imm == 0 and insn.op in (JmpOp.JEQ, JmpOp.JNE)
            and dst_reg.flags & _MAYBE_NULL):
        mark_ptr_or_null_regs(env, state, dst, insn.op is JmpOp.JNE, idx)
        # the pushed branch's refinement is recorded as an event of that branch, when popped
        mark_ptr_or_null_regs(_Quiet(env, other), other, dst, insn.op is JmpOp.JEQ, idx)
    elif _match_pkt_pointers(insn, dst_reg, src_reg, state, other):
        pass
    elif dst_reg.is_pointer and not env.allow_ptr_leaks:
        raise Reject(msg.POINTER_COMPARISON.format(regno=dst))
    return idx + 1


def _set_scalar(state: VState, regno: int, old: Reg, value: sc.Scalar, live: int) -> None:
    """Store a refined scalar and copy the refinement to registers linked by the same id.

    ``sync_linked_regs()`` reaches only registers still live where the branch goes (``live``,
    a bit mask for the current frame).
    """
    new = old.evolve(var=value)
    state.regs[regno] = new
    if old.id and not old.extra:
        last = len(state.frames) - 1
        for fno, frame in enumerate(state.frames):
            for r, reg in enumerate(frame.regs):
                if reg.type is RegType.SCALAR and reg.id == old.id and not reg.extra \
                        and (fno, r) != (last, regno) and (fno != last or (live >> r) & 1):
                    frame.regs[r] = reg.evolve(var=value)
            for spi, slot in list(frame.stack.items()):  # collect_linked_regs(): spills too
                sp = slot.spilled
                if slot.types[7] == "r" and sp.type is RegType.SCALAR and sp.id == old.id \
                        and not sp.extra:
                    frame.stack[spi] = StackSlot(slot.types, sp.evolve(var=value))


class _Quiet:
    """An Env stand-in that keeps the pushed branch's events until that branch is explored."""

    def __init__(self, env: Env, branch: VState) -> None:
        self._env = env
        self.recorder = _Deferred(branch)

    def __getattr__(self, name: str) -> object:
        return getattr(self._env, name)


class _Deferred:
    def __init__(self, branch: VState) -> None:
        self.branch = branch

    def ref_event(self, *args: object) -> None:
        self.branch.pending_events.append(args)


def _match_pkt_pointers(insn: Jump, dst_reg: Reg, src_reg: Reg, this: VState,
                        other: VState) -> bool:
    """``try_match_pkt_pointers()``: ``if pkt + N > pkt_end`` proves N bytes in bounds."""
    if insn.src is None or not insn.wide:
        return False
    op = insn.op

    def bounds(pkt: Reg, end: Reg) -> bool:
        # pkt' vs pkt_end, or pkt_meta' vs pkt (the packet start bounds the metadata)
        if pkt.type is RegType.PTR_TO_PACKET:
            return end.type is RegType.PTR_TO_PACKET_END
        return (pkt.type is RegType.PTR_TO_PACKET_META and end.type is RegType.PTR_TO_PACKET
                and end.off == 0 and end.var.is_const and end.var.const_value == 0)

    if bounds(dst_reg, src_reg):
        pkt_reg, pkt_regno, flipped = dst_reg, insn.dst, False
    elif bounds(src_reg, dst_reg):
        pkt_reg, pkt_regno, flipped = src_reg, insn.src, True
        op = _FLIP[op]
    else:
        return False
    # after flipping, the comparison reads "pkt op pkt_end"; which side proves the bytes
    # in bounds, and whether the range is right-open (pkt < end: one byte more)
    sides = {JmpOp.JGT: (False, False), JmpOp.JLE: (True, False),
             JmpOp.JLT: (True, True), JmpOp.JGE: (False, True)}
    if op not in sides:
        return False
    good_when_taken, right_open = sides[op]
    if pkt_reg.off < 0 or (pkt_reg.off == 0 and right_open):
        return True
    if pkt_reg.var.umax > 0xFFFF or pkt_reg.var.umax + pkt_reg.off > 0xFFFF:
        return True  # find_good_pkt_pointers(): past MAX_PACKET_OFF proves nothing
    new_range = pkt_reg.off + (1 if right_open else 0)
    _mark_pkt_range(other if good_when_taken else this, pkt_reg, new_range)
    del pkt_regno, flipped
    return True


def _mark_pkt_range(state: VState, pkt_reg: Reg, new_range: int) -> None:
    """``find_good_pkt_pointers()``: every packet pointer with the same id gets the range,
    spilled ones too (bpf_for_each_reg_in_vstate() walks the stack's spills)."""
    for fno, _, reg, key in list(each_reg(state)):
        if reg.type is pkt_reg.type and reg.id == pkt_reg.id and reg.range < new_range:
            set_reg_at(state, fno, key, reg.evolve(range=new_range))
