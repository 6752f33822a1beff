"""Memory access: loads, stores and the memory arguments of helpers and kfuncs.

``check_mem_access()`` dispatches on the pointer's base type: stack, context, map value, kernel
struct (PTR_TO_BTF_ID), sized memory, packet. Helpers and kfuncs that take (pointer, size) pairs
go through :func:`check_helper_mem_access`, the kernel's function of the same name.
"""

from __future__ import annotations

import errno

from kfunclab.isa.insn import Atomic, AtomicOp, Load, Store, StoreImm
from kfunclab.progtypes import ProgType
from kfunclab.verifier import messages as msg
from kfunclab.verifier import scalar as sc
from kfunclab.verifier.context import ctx_access
from kfunclab.verifier.dynptr_slots import destroy_if_dynptr_stack_slot
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.iter_ctx import check_buffer_access
from kfunclab.verifier.map_fields import check_map_fields
from kfunclab.verifier.precision import history_entry, mark_chain_precision
from kfunclab.verifier.records import local_object_access
from kfunclab.verifier.regs import (
    UNKNOWN_SCALAR,
    Reg,
    RegType,
    TypeFlag,
    const,
    reg_type_str,
    signed64,
)
from kfunclab.verifier.result import RefEventKind
from kfunclab.verifier.rules.auxptr import save_aux_ptr_type
from kfunclab.verifier.rules.kptrs import READ, WRITE, kptr_access, kptr_member
from kfunclab.verifier.rules.sockets import SOCK_TYPES, check_sock_access
from kfunclab.verifier.rules.stack_var import check_alignment_stack, stack_write_var
from kfunclab.verifier.rules.stack_var import stack_byte as _spi
from kfunclab.verifier.stackfill import narrow_fill, narrow_fill_value, value_fits
from kfunclab.verifier.state import EMPTY_SLOT, MAX_BPF_STACK, StackSlot, VState
from kfunclab.verifier.struct_ops import btf_write
from kfunclab.verifier.trampoline import lsm_retval_load
from kfunclab.verifier.trust import walk_btf_pointer

BPF_F_RDONLY_PROG = 1 << 7
#: may_access_direct_pkt_data(): program types that may write packet data directly
PKT_WRITERS = frozenset({ProgType.SCHED_CLS, ProgType.SCHED_ACT, ProgType.XDP,
                          ProgType.LWT_XMIT, ProgType.SK_SKB, ProgType.SK_MSG,
                          ProgType.CGROUP_SOCKOPT})
BPF_MAX_VAR_OFF = 1 << 29  # include/linux/bpf_verifier.h
FLOW_KEYS_SIZE = 56  # sizeof(struct bpf_flow_keys), UAPI


def _read_reg(state: VState, regno: int) -> Reg:
    reg = state.regs[regno]
    if reg.type is RegType.NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=regno))
    return reg


def _check_dst(regno: int) -> None:
    if regno == 10:
        raise Reject(msg.FRAME_POINTER_READ_ONLY)


def check_load(env: Env, state: VState, insn: Load, idx: int) -> None:
    """``check_load_mem()``: ``dst = *(size *)(src + off)``."""
    src = _read_reg(state, insn.src)
    _check_dst(insn.dst)
    check_mem_access(env, state, idx, insn.src, insn.off, int(insn.size), READ, insn.dst,
                     signed=insn.signed)
    save_aux_ptr_type(env, idx, src, True)


def check_store(env: Env, state: VState, insn: Store | StoreImm, idx: int) -> None:
    """``check_store_reg()`` (STX) and the BPF_ST path: ``*(size *)(dst + off) = src|imm``."""
    if isinstance(insn, Store):
        _read_reg(state, insn.src)
        dst = _read_reg(state, insn.dst)
        check_mem_access(env, state, idx, insn.dst, insn.off, int(insn.size), WRITE, insn.src)
    else:
        dst = _read_reg(state, insn.dst)
        check_mem_access(env, state, idx, insn.dst, insn.off, int(insn.size), WRITE, -1,
                         imm=insn.imm)
    save_aux_ptr_type(env, idx, dst, False)


def check_atomic(env: Env, state: VState, insn: Atomic, idx: int) -> None:
    """``check_atomic()``: read and write the memory, write the fetched value back."""
    src = _read_reg(state, insn.src)
    _read_reg(state, insn.dst)
    if insn.op is AtomicOp.CMPXCHG:
        _read_reg(state, 0)
    if src.is_pointer and not env.allow_ptr_leaks:
        raise Reject(f"R{insn.src} leaks addr into mem")
    dst = state.regs[insn.dst]
    if dst.type not in (RegType.PTR_TO_STACK, RegType.PTR_TO_MAP_VALUE, RegType.PTR_TO_MEM,
                        RegType.PTR_TO_BTF_ID) or dst.flags & TypeFlag.MAYBE_NULL:
        raise Reject(f"BPF_ATOMIC stores into R{insn.dst} {reg_type_str(dst.type, dst.flags)} "
                     "is not allowed")
    load_reg = -1
    if insn.fetch or insn.op in (AtomicOp.XCHG, AtomicOp.CMPXCHG):
        load_reg = 0 if insn.op is AtomicOp.CMPXCHG else insn.src
    check_mem_access(env, state, idx, insn.dst, insn.off, int(insn.size), READ, load_reg)
    check_mem_access(env, state, idx, insn.dst, insn.off, int(insn.size), WRITE, -1)


# --- check_mem_access --------------------------------------------------------------------------
def check_mem_access(env: Env, state: VState, idx: int, regno: int, off: int, size: int,
                     kind: str, value_regno: int, signed: bool = False,
                     imm: int | None = None) -> None:
    regs = state.regs
    reg = regs[regno]
    if reg.type is RegType.PTR_TO_STACK:
        check_alignment_stack(reg, off, size)
    off += reg.off
    t = reg.type
    flags = reg.flags
    if t is RegType.PTR_TO_MAP_VALUE and not flags & TypeFlag.MAYBE_NULL:
        _map_value_access(env, state, reg, regno, off, size, kind, value_regno, imm, idx)
    elif t is RegType.PTR_TO_MEM and not flags & TypeFlag.MAYBE_NULL:
        if kind == WRITE and flags & TypeFlag.RDONLY:
            raise Reject(msg.WRITE_INTO_RDONLY.format(regno=regno,
                                                      type=reg_type_str(t, flags)))
        _leak_check(env, state, kind, value_regno, "mem")
        if not (flags & TypeFlag.RDONLY and flags & TypeFlag.UNTRUSTED):
            _mem_region(reg, regno, off, size, reg.mem_size, msg.INVALID_MEM_REGION_ACCESS)
        if value_regno >= 0 and kind == READ:
            regs[value_regno] = UNKNOWN_SCALAR
    elif t is RegType.PTR_TO_CTX:
        _leak_check(env, state, kind, value_regno, "ctx")
        if reg.off < 0:
            raise Reject(f"negative offset ctx ptr R{regno} off={reg.off} disallowed")
        if reg.off:
            raise Reject(f"dereference of modified ctx ptr R{regno} off={reg.off} disallowed")
        if not reg.var.is_const:
            raise Reject(f"variable ctx access var_off={_tn(reg.var)} disallowed")
        result = ctx_access(env, off, size, kind, signed)
        if kind == READ and value_regno >= 0:
            if result.type is RegType.SCALAR:  # an LSM hook's return value has its range
                regs[value_regno] = lsm_retval_load(env, off) or UNKNOWN_SCALAR
            else:
                new = result
                if new.flags & TypeFlag.MAYBE_NULL:
                    new = new.evolve(id=env.new_id())
                regs[value_regno] = new
    elif t is RegType.PTR_TO_STACK:
        _check_stack_bounds(env, state, regno, reg, off, size, kind)
        if kind == READ:
            _stack_read(env, state, reg, off, size, value_regno)
        else:
            _stack_write(env, state, reg, off, size, value_regno, imm)
    elif t in (RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META) \
            and not flags & TypeFlag.MAYBE_NULL:
        if kind == WRITE and env.prog_type.prog_type not in PKT_WRITERS:
            raise Reject("cannot write into packet")  # may_access_direct_pkt_data()
        _leak_check(env, state, kind, value_regno, "packet")
        _packet_access(reg, regno, off, size)
        if kind == READ and value_regno >= 0:
            regs[value_regno] = UNKNOWN_SCALAR
    elif t is RegType.PTR_TO_BUF and not flags & TypeFlag.MAYBE_NULL:
        check_buffer_access(regs, reg, regno, off, size, kind, value_regno)
    elif t is RegType.PTR_TO_BTF_ID and not flags & TypeFlag.MAYBE_NULL:
        _btf_access(env, state, reg, regno, off, size, kind, value_regno)
    elif t in SOCK_TYPES and not flags & TypeFlag.MAYBE_NULL:
        check_sock_access(state, regno, off, size, kind == WRITE, value_regno)
    elif t is RegType.PTR_TO_MAP_KEY:  # a for_each callback's key: read only
        if kind == WRITE:
            raise Reject(msg.MAP_KEY_WRITE.format(regno=regno))
        _mem_region(reg, regno, off, size, reg.map.key.size, msg.INVALID_MAP_KEY_ACCESS)
        if value_regno >= 0:
            regs[value_regno] = UNKNOWN_SCALAR
    elif t is RegType.PTR_TO_FLOW_KEYS:  # check_flow_keys_access()
        _leak_check(env, state, kind, value_regno, "flow keys")
        if off < 0 or off + size > FLOW_KEYS_SIZE:
            raise Reject(msg.INVALID_FLOW_KEYS_ACCESS.format(off=off, size=size))
        if kind == READ and value_regno >= 0:
            regs[value_regno] = UNKNOWN_SCALAR
    else:
        raise Reject(msg.INVALID_MEM_ACCESS.format(regno=regno, type=reg_type_str(t, flags)))
    if kind == READ and value_regno >= 0 and size < 8:
        out = regs[value_regno]
        if out.type is RegType.SCALAR:
            value = sc.sign_extend(out.var, size) if signed else sc.truncate(out.var, size)
            link = out.id if out.var.is_const else narrow_fill_value(out, size).id
            regs[value_regno] = out.evolve(var=value, id=link)


def _tn(x: sc.Scalar) -> str:
    v, m = x.var_off
    return f"({v:#x}; {m:#x})"


def _leak_check(env: Env, state: VState, kind: str, value_regno: int, where: str) -> None:
    if kind == WRITE and value_regno >= 0 and state.regs[value_regno].is_pointer \
            and not env.allow_ptr_leaks:
        raise Reject(f"R{value_regno} leaks addr into {where}")


def _mem_region(reg: Reg, regno: int, off: int, size: int, mem_size: int, template: str) -> None:
    """``check_mem_region_access()``: the smallest and the largest offset must both fit.

    ``__check_mem_access()`` prints what was wrong (``template``), then the caller says which
    bound it was, which is the kernel's final line.
    """
    var = reg.var
    smin = signed64(var.const_value) if var.is_const else var.smin
    if smin < 0 and (smin + off < 0 or smin == -(1 << 63)):
        raise Reject(f"R{regno} min value is negative, either use unsigned index or "
                     "do a if (index >=0) check.")
    lo = smin + off
    if lo < 0 or lo + size > mem_size:
        raise Reject(msg.MEM_MIN_OUTSIDE.format(regno=regno),
                     (template.format(size=mem_size, off=lo, access=size),))
    umax = var.const_value if var.is_const else var.umax
    if umax >= 1 << 29:
        raise Reject(msg.MEM_UNBOUNDED.format(regno=regno))
    hi = umax + off
    if hi + size > mem_size:
        raise Reject(msg.MEM_MAX_OUTSIDE.format(regno=regno),
                     (template.format(size=mem_size, off=hi, access=size),))


def _packet_access(reg: Reg, regno: int, off: int, size: int) -> None:
    """``check_packet_access()``: the fixed offset within the range a pkt_end check proved."""
    if reg.var.smin < 0:
        raise Reject(f"R{regno} min value is negative, either use unsigned index or "
                     "do a if (index >=0) check.")
    if off < 0 or off + size > reg.range:
        raise Reject(msg.PACKET_OUTSIDE.format(regno=regno),
                     (msg.PACKET_ACCESS.format(off=off, size=size, regno=regno, id=reg.id,
                                               range=reg.range),))


# --- stack -------------------------------------------------------------------------------------
def _check_stack_bounds(env: Env, state: VState, regno: int, reg: Reg, off: int, size: int,
                        kind: str) -> None:
    """``check_stack_access_within_bounds()`` and ``grow_stack_state()``.

    Reads may not go below the stack the path has written (``allocated_stack``) unless the
    loader may read uninitialised stack (CAP_PERFMON); 6.18 says "read from"/"write to" for
    helper accesses too.
    """
    extra = " read from" if kind == READ else " write to"
    frame = state.frames[reg.frameno] if reg.frameno < len(state.frames) else state.cur
    min_valid = -MAX_BPF_STACK if kind == WRITE or env.allow_uninit_stack else -frame.allocated
    if reg.var.is_const:
        lo = (reg.var.const_value + off + (1 << 63)) % (1 << 64) - (1 << 63)  # as s64
        hi = lo + size
        text = f"invalid{extra} stack R{regno} off={off} size={size}"
    elif reg.var.smax >= BPF_MAX_VAR_OFF or reg.var.smin <= -BPF_MAX_VAR_OFF:
        raise Reject(msg.STACK_UNBOUNDED_VAR_OFF.format(extra=extra, regno=regno))
    else:
        lo, hi = reg.var.smin + off, reg.var.smax + off + size
        text = (f"invalid variable-offset{extra} stack R{regno} var_off={_tn(reg.var)} "
                f"off={off} size={size}")
    if lo < min_valid or lo > -1 or hi > 0:
        # check_stack_slot_within_bounds() on the lowest byte: -EACCES; past fp+0: -EINVAL
        raise Reject(text, errno=errno.EACCES if lo < min_valid or lo > -1 else errno.EINVAL)
    if kind == WRITE or env.allow_uninit_stack:
        grown = -(lo // 8) * 8
        if grown > frame.allocated:
            frame.allocated = grown
            _note_stack_depth(env, state, reg.frameno, grown)


def _note_stack_depth(env: Env, state: VState, frameno: int, depth: int) -> None:
    """``grow_stack_state()``: the subprogram's ``stack_depth`` is the deepest of any path."""
    frames = state.frames
    slot = frames[frameno + 1].callsite if frameno + 1 < len(frames) else env.insn_idx
    start = env.cfg.subprog_of(slot).start
    if env.stack_depth.get(start, 0) < depth:
        env.stack_depth[start] = depth


def _stack_write(env: Env, state: VState, reg: Reg, off: int, size: int, value_regno: int,
                 imm: int | None) -> None:
    """``check_stack_write_fixed_off()`` (privileged spills, STACK_ZERO, STACK_MISC)."""
    if not reg.var.is_const:
        stack_write_var(env, state, reg, off, size, value_regno, imm)
        return
    frame = state.frames[reg.frameno] if reg.frameno < len(state.frames) else state.cur
    addr = reg.var.const_value + off
    if addr >= 1 << 63:
        addr -= 1 << 64
    spi, _ = _spi(addr)
    slot_base = -addr - 1
    destroy_if_dynptr_stack_slot(env, state, frame, spi)
    old = frame.stack.get(spi, EMPTY_SLOT)
    value = state.regs[value_regno] if value_regno >= 0 else None
    aligned = addr % 8 == 0
    types = list(old.types)
    if value is not None and aligned and value.type is RegType.SCALAR and env.privileged:
        if not value.id and not value.var.is_const and value_fits(value.var, size):
            value = value.evolve(id=env.new_id())  # assign_scalar_id_before_mov()
            state.regs[value_regno] = value
        spilled = value if value_fits(value.var, size) else value.evolve(id=0)
        frame.stack[spi] = _spill(types, spilled, size)
        _history_stack(env, state, spi, reg.frameno)
        return
    if value is None and aligned and imm is not None and env.privileged:
        frame.stack[spi] = _spill(types, const(imm), size)
        _history_stack(env, state, spi, reg.frameno)
        return
    if value is not None and value.is_pointer:
        if size != 8:
            raise Reject("invalid size of register spill")
        frame.stack[spi] = StackSlot("rrrrrrrr", value)
        _history_stack(env, state, spi, reg.frameno)
        if value.ref_obj_id:
            env.recorder.ref_event(value.ref_obj_id, RefEventKind.SPILLED, env.insn_idx,
                                   f"fp{addr}")
        return
    fill = "m"
    if (value is not None and value.is_null) or (value is None and imm == 0):
        if value is not None:
            mark_chain_precision(env, state, {value_regno})
        fill = "0"
    if old.types[7] in "rdif":  # scrub_spilled_slot(): every written byte, zeros too
        types = ["m" if c != "?" else c for c in types]
    for i in range(size):
        types[(slot_base - i) % 8] = fill
    frame.stack[spi] = StackSlot("".join(types))


def _spill(types: list[str], value: Reg, size: int) -> StackSlot:
    """``save_register_state()``: the top ``size`` bytes become SPILL, the rest keep or MISC."""
    for i in range(8, 8 - size, -1):
        types[i - 1] = "r"
    for i in range(8 - size, 0, -1):
        if types[i - 1] not in "0?":
            types[i - 1] = "m"
    return StackSlot("".join(types), value)


def _history_stack(env: Env, state: VState, spi: int, frameno: int | None = None) -> None:
    if state.history:
        last = state.history[-1]
        idx = last & 0xFFFF_FFFF
        if not last >> 32 and idx not in env.cfg.jmp_points:
            state.jmp_history_cnt += 1  # push_jmp_history(): no entry for this insn yet
        # a slot of another frame (a callback's context on its caller's stack) is marked so
        # that backtracking never takes it for the current frame's slot of the same number
        foreign = frameno is not None and frameno != len(state.frames) - 1
        state.history[-1] = history_entry(idx, spi, foreign)


def _stack_read(env: Env, state: VState, reg: Reg, off: int, size: int, dst: int) -> None:
    """``check_stack_read_fixed_off()``: fills, zeros, misc bytes and uninitialised reads."""
    if not reg.var.is_const:
        if dst >= 0:
            state.regs[dst] = UNKNOWN_SCALAR
        return
    frame = state.frames[reg.frameno] if reg.frameno < len(state.frames) else state.cur
    addr = reg.var.const_value + off
    if addr >= 1 << 63:
        addr -= 1 << 64
    spi, _ = _spi(addr)
    slot_base = -addr - 1
    slot = frame.stack.get(spi, EMPTY_SLOT)
    stype = slot.types
    if stype[7] == "r":
        spill_size = 1
        i = 7
        while i > 0 and stype[i - 1] == "r":
            spill_size += 1
            i -= 1
        spilled = slot.spilled
        if size != 8 or spill_size != 8:
            if spilled.type is not RegType.SCALAR:
                raise Reject("invalid size of register fill")
            if dst < 0:
                return
            if size <= spill_size and addr % 8 == 0:  # bpf_stack_narrow_access_ok()
                state.regs[dst] = narrow_fill(env, frame, spi, size, spill_size)
                _history_stack(env, state, spi, reg.frameno)
                return
            spill_cnt = zero_cnt = 0
            for i in range(size):
                t = stype[(slot_base - i) % 8]
                if t == "r":
                    spill_cnt += 1
                elif t == "0":
                    zero_cnt += 1
                elif t == "m" or (t == "?" and env.allow_uninit_stack):
                    continue
                else:
                    raise Reject(msg.INVALID_STACK_READ.format(off=addr, byte=i, size=size))
            if (spill_cnt == size and spilled.is_null) or zero_cnt == size:
                state.regs[dst] = const(0)
            else:
                state.regs[dst] = UNKNOWN_SCALAR
            return
        if dst >= 0:
            state.regs[dst] = spilled
            _history_stack(env, state, spi, reg.frameno)
            if spilled.ref_obj_id:
                env.recorder.ref_event(spilled.ref_obj_id, RefEventKind.FILLED, env.insn_idx,
                                       f"R{dst}", f"from fp{addr}")
        return
    zeros = 0
    for i in range(size):
        t = stype[(slot_base - i) % 8]
        if t == "m":
            continue
        if t == "0":
            zeros += 1
            continue
        if t == "?" and env.allow_uninit_stack:
            continue
        raise Reject(msg.INVALID_STACK_READ.format(off=addr, byte=i, size=size))
    if dst >= 0:
        state.regs[dst] = const(0) if zeros == size else UNKNOWN_SCALAR


# --- map values --------------------------------------------------------------------------------
def _map_value_access(env: Env, state: VState, reg: Reg, regno: int, off: int, size: int,
                      kind: str, value_regno: int, imm: int | None, idx: int) -> None:
    decl = reg.map
    vsize = decl.value.size
    _leak_check(env, state, kind, value_regno, "map")
    if kind == WRITE and decl.flags & BPF_F_RDONLY_PROG:  # check_map_access_type()
        raise Reject(msg.MAP_WRITE_FORBIDDEN.format(size=vsize, off=off, access=size))
    _mem_region(reg, regno, off, size, vsize, msg.INVALID_MAP_VALUE_ACCESS)
    check_map_fields(reg, off, size, direct=True)
    data = getattr(decl, "data", None)
    if (kind == READ and value_regno >= 0 and data is not None and reg.var.is_const
            and decl.flags & BPF_F_RDONLY_PROG and size in (1, 2, 4, 8)):
        at = off + reg.var.const_value
        if at >= 0 and at + size <= len(data):  # bpf_map_direct_read()
            state.regs[value_regno] = const(int.from_bytes(data[at:at + size], "little"))
            return
    member = kptr_member(decl, off + (reg.var.const_value if reg.var.is_const else 0))
    if member is not None and reg.var.is_const:
        if isinstance(env.program.insns[idx], Atomic):  # check_map_kptr_access()
            raise Reject(msg.MAP_KPTR_NOT_MEM_MODE)
        kptr_access(env, state, member, kind, value_regno, imm)
        return
    if kind == READ and value_regno >= 0:
        state.regs[value_regno] = UNKNOWN_SCALAR


# --- kernel structs ----------------------------------------------------------------------------
def _btf_access(env: Env, state: VState, reg: Reg, regno: int, off: int, size: int, kind: str,
                value_regno: int) -> None:
    """``check_ptr_to_btf_access()``."""
    name = reg.btf_name
    if not env.allow_ptr_leaks:
        # check_ptr_to_btf_access(): -EPERM, not the -EACCES of the other access checks
        raise Reject(f"'struct {name}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN",
                     errno=errno.EPERM)
    if off < 0:
        raise Reject(msg.BTF_NEGATIVE_OFFSET.format(regno=regno, name=name, off=off))
    if not reg.var.is_const or reg.var.const_value:
        raise Reject(msg.BTF_VARIABLE_OFFSET.format(regno=regno, name=name, off=off,
                                                    var_off=_tn(reg.var)))
    if reg.flags & TypeFlag.USER:
        raise Reject(f"R{regno} is ptr_{name} access user memory: off={off}")
    if reg.flags & TypeFlag.PERCPU:
        raise Reject(f"R{regno} is ptr_{name} access percpu memory: off={off}")
    if reg.local:
        loaded = local_object_access(env.program.local_type(reg.btf_id), reg, off, size)
        if kind == READ and value_regno >= 0:
            state.regs[value_regno] = loaded
        return
    if kind == WRITE:  # env->ops->btf_struct_access: struct_ops', nf_conn.mark from tc/XDP
        return btf_write(env, reg, name, off, size)
    result = walk_btf_pointer(env, state, reg, off, size)
    if value_regno >= 0:
        state.regs[value_regno] = result


# --- helper and kfunc memory arguments -----------------------------------------------------------
def check_helper_mem_access(env: Env, state: VState, regno: int, size: int, kind: str,
                            zero_size_ok: bool, raw_mode: bool = False) -> None:
    """``check_helper_mem_access()``: may a helper/kfunc touch ``size`` bytes at R<regno>?"""
    reg = state.regs[regno]
    t = reg.type
    if t in (RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META):
        _packet_access(reg, regno, reg.off, size)
        return
    if t is RegType.PTR_TO_MAP_VALUE:
        if kind == WRITE and reg.map.flags & BPF_F_RDONLY_PROG:  # check_map_access_type()
            raise Reject(msg.MAP_WRITE_FORBIDDEN.format(size=reg.map.value.size, off=reg.off,
                                                        access=size))
        _mem_region(reg, regno, reg.off, size, reg.map.value.size, msg.INVALID_MAP_VALUE_ACCESS)
        check_map_fields(reg, reg.off, size, direct=False)
        if any(m.type_name == "bpf_timer" for m in getattr(reg.map.value.struct, "members", ())):
            raise Unsupported("a helper's memory argument in a map value with a bpf_timer")
        return
    if t is RegType.PTR_TO_MAP_KEY and kind != WRITE:
        _mem_region(reg, regno, reg.off, size, reg.map.key.size, msg.INVALID_MAP_KEY_ACCESS)
        return
    if t is RegType.PTR_TO_MEM:
        if kind == WRITE and reg.flags & TypeFlag.RDONLY:
            raise Reject(msg.WRITE_INTO_RDONLY.format(regno=regno,
                                                      type=reg_type_str(t, reg.flags)))
        _mem_region(reg, regno, reg.off, size, reg.mem_size, msg.INVALID_MEM_REGION_ACCESS)
        return
    if t is RegType.PTR_TO_BUF:
        return
    if t is RegType.PTR_TO_STACK:
        _stack_range_initialized(env, state, regno, reg, size, kind, zero_size_ok, raw_mode)
        return
    if t is RegType.PTR_TO_BTF_ID:
        if kind == WRITE:
            raise Reject(msg.BTF_WRITE_ONLY_ALLOWED)
        walk_btf_pointer(env, state, reg, reg.off, size)
        return
    if t is RegType.PTR_TO_CTX and env.prog_type.prog_type is ProgType.SYSCALL:
        ctx_access(env, reg.off, size, kind)
        return
    if zero_size_ok and size == 0 and reg.is_null:
        return
    raise Reject(msg.ARG_TYPE_MISMATCH.format(regno=regno, type=reg_type_str(t, reg.flags),
                                              expected="fp"))


def _stack_range_initialized(env: Env, state: VState, regno: int, reg: Reg, size: int,
                             kind: str, zero_size_ok: bool, raw_mode: bool) -> None:
    """``check_stack_range_initialized()``: every byte a helper reads must be written first."""
    _check_stack_bounds(env, state, regno, reg, reg.off, size, kind)
    # no early return for size 0: at a variable offset the kernel still walks (and for a write
    # clobbers) the bytes from smin to smax, "for (i = min_off; i < max_off + access_size; i++)"
    if not reg.var.is_const:
        lo = reg.var.smin + reg.off
        hi = reg.var.smax + reg.off + size
    else:
        base = reg.var.const_value
        if base >= 1 << 63:
            base -= 1 << 64
        lo = base + reg.off
        hi = lo + size
    clobber = kind == WRITE
    # a callback's (or callee's) argument may point into a caller's stack
    frame = state.frames[reg.frameno] if reg.frameno < len(state.frames) else state.cur
    for addr in range(lo, hi) if raw_mode and kind == WRITE else ():
        if frame.stack.get(_spi(addr)[0], EMPTY_SLOT).types[_spi(addr)[1]] == "d":
            raise Reject(msg.DYNPTR_POTENTIAL_WRITE.format(off=addr))
    for addr in range(lo, hi):
        spi, j = _spi(addr)
        slot = frame.stack.get(spi, EMPTY_SLOT)
        t = slot.types[j]
        if raw_mode and kind == WRITE:  # check_stack_write_fixed_off(), byte by byte
            types = list(slot.types)
            if slot.types[7] in "rif":  # is_stack_slot_special(): scrub_spilled_slot()
                types = ["m" if c != "?" else c for c in types]
            types[j] = "m"
            frame.stack[spi] = StackSlot("".join(types))
            continue
        if t == "m":
            continue
        if t == "0" or (t == "?" and env.allow_uninit_stack):
            if clobber:
                types = list(slot.types)
                types[j] = "m"
                frame.stack[spi] = StackSlot("".join(types), slot.spilled)
            continue
        if t == "r" and (slot.spilled.type is RegType.SCALAR or env.allow_ptr_leaks):
            if clobber:
                frame.stack[spi] = StackSlot("".join("m" if c == "r" else c
                                                     for c in slot.types))
            continue
        err_extra = "" if kind == READ else " write"
        raise Reject(f"invalid{err_extra} read from stack R{regno} off {lo}+{addr - lo} "
                     f"size {size}")
