"""BPF helper calls: ``check_helper_call()`` of Linux 6.18 (kernel/bpf/verifier.c).

Which helpers a program type may call (``get_func_proto``), the argument kinds of each modelled
helper's prototype (:mod:`~kfunclab.verifier.helper_protos`, checked through
:mod:`~kfunclab.verifier.rules.helper_args`) and what the helpers with their own rules do: map
lookups, ``bpf_kptr_xchg``, the ring buffer, spin locks. BPF-to-BPF calls and ``exit`` are in
:mod:`kfunclab.verifier.calls`.
"""

from __future__ import annotations

from kfunclab.isa.helpers import HELPER_MAX_ID, MAP_TYPES
from kfunclab.isa.insn import Call
from kfunclab.progtypes import ProgType
from kfunclab.verifier import messages as msg
from kfunclab.verifier import percpu_kptrs, records
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.helper_protos import HELPER_PROTOS, generic_helper
from kfunclab.verifier.map_types import (
    SOCKET_MAPS,
    check_map_func_compatibility,
    h_get_local_storage,
    map_func_compatible,
    socket_lookup,
)
from kfunclab.verifier.references import acquire_reference, release_reference
from kfunclab.verifier.regs import NOT_INIT, Reg, RegType, TypeFlag, reg_type_str
from kfunclab.verifier.rules import graph
from kfunclab.verifier.rules.dynptrs import DYNPTR_HELPERS
from kfunclab.verifier.rules.helper_args import (
    SIZED_RETURN,
    clobber_caller_saved,
    const_size,
    int_return,
    mem_arg,
    sized_return,
)
from kfunclab.verifier.rules.kptrs import is_referenced_kptr, kptr_member
from kfunclab.verifier.rules.rbtree_cb import check_spin_lock_in_cb
from kfunclab.verifier.state import Ref, RefKind, VState

# in_rcu_cs and is_trusted_reg moved to trust.py: re-exported for rules written before the move
from kfunclab.verifier.trust import in_rcu_cs, is_trusted_reg, kernel_struct_reg  # noqa: F401

# --- helpers -----------------------------------------------------------------------------------
_TRACING_TYPES = frozenset({ProgType.KPROBE, ProgType.TRACEPOINT, ProgType.PERF_EVENT,
                            ProgType.RAW_TRACEPOINT, ProgType.RAW_TRACEPOINT_WRITABLE,
                            ProgType.TRACING, ProgType.LSM, ProgType.SYSCALL})
_GPL_HELPERS = frozenset({"trace_printk", "probe_read_kernel", "get_current_task_btf",
                          "probe_read_kernel_str", "get_current_task", "get_current_comm"})


_TRACING_ONLY = frozenset({"get_current_task_btf", "get_current_task", "probe_read_kernel",
                           "probe_read_kernel_str"})


def model_helper_allowed(prog_type: ProgType, helper: str, perfmon: bool = True) -> bool:
    """The model's own answer (no probe): may ``prog_type`` call ``helper`` (``bpf_x``)?

    These four are tracing helpers that ``bpf_base_func_proto()`` also gives every program
    type whose loader has CAP_PERFMON (``bpf_token_capable(prog->aux->token, CAP_PERFMON)``).
    """
    name = helper.removeprefix("bpf_")
    if name in _TRACING_ONLY:
        return prog_type in _TRACING_TYPES or perfmon
    return True


def modelled_helpers() -> frozenset[str]:
    """The helpers kfunclab checks (``bpf_map_lookup_elem`` ...); others are unsupported."""
    return frozenset(f"bpf_{name}" for name in _HELPERS)


def _helper_allowed(env: Env, name: str) -> bool:
    probed = env.profile.helper_allowed(f"bpf_{name}", env.prog_type.prog_type.kernel_name)
    if probed is not None:
        return probed  # the running kernel answered (the live profile)
    perfmon = env.program.has_cap("cap_perfmon") or env.program.has_cap("cap_sys_admin")
    return model_helper_allowed(env.prog_type.prog_type, name, perfmon)


def _map_arg(env: Env, state: VState, regno: int, name: str, idx: int) -> Reg:
    reg = state.regs[regno]
    if reg.type is RegType.NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=regno))
    if reg.type is not RegType.CONST_PTR_TO_MAP or reg.flags & TypeFlag.MAYBE_NULL:
        raise Reject(msg.ARG_TYPE_MISMATCH.format(regno=regno, type=reg_type_str(reg.type,
                                                                                   reg.flags),
                                                  expected="map_ptr"))
    kv = ("array", "hash", "percpu_array", "percpu_hash", "lru_hash", "lru_percpu_hash")
    of_maps = name == "map_lookup_elem" and reg.map is not None and reg.map.inner is not None
    if name == "map_lookup_elem":
        kv += SOCKET_MAPS  # their lookups give sockets (map_types.socket_lookup)
    if name.startswith("map_") and reg.map is not None and reg.map.map_type not in kv \
            and not of_maps and map_func_compatible(env, reg.map.map_type, name):
        # an incompatible map type is refused once the other arguments are checked
        raise Unsupported(f"bpf_{name} on a {reg.map.map_type} map is not modelled", idx)
    return reg


def _scalar_args(state: VState, regnos: range) -> None:
    for r in regnos:
        if state.regs[r].type is RegType.NOT_INIT:
            raise Reject(msg.REG_NOT_READ_OK.format(regno=r))


def check_helper_call(env: Env, state: VState, insn: Call, idx: int) -> None:
    """``check_helper_call()`` for the helpers the cases and tutorials use."""
    name = (insn.name or "").removeprefix("bpf_")
    if not name:
        from kfunclab.isa.helpers import helper_name

        name = (helper_name(insn.imm) or "").removeprefix("bpf_")
    full = f"bpf_{name}"
    if not 0 <= insn.imm < HELPER_MAX_ID:  # get_helper_proto(): -ERANGE
        # a poisoned CO-RE relocation: libbpf rewrites this line of the log
        raise Reject(env.program.log_fixups.get(idx) or msg.INVALID_FUNC.format(imm=insn.imm))
    handler = _HELPERS.get(name)
    proto = HELPER_PROTOS.get(name) if handler is None else None
    if proto is not None and name == "tail_call":
        # one prototype in every table (bpf_base_func_proto()): availability from the data
        from kfunclab.verifier.helper_specs import helper_spec
        from kfunclab.verifier.rules.helper_engine import choose_proto

        spec = helper_spec(full)
        if spec is not None:
            choose_proto(env, spec, insn, idx)
        generic_helper(env, state, insn, idx, full, proto, available=spec is not None)
        return
    if proto is not None and (env.prog_type.prog_type in proto.refused_in or (
            env.prog_type.prog_type in proto.prog_types
            and (env.sleepable or not proto.sleepable_only))):
        generic_helper(env, state, insn, idx, full, proto)
        return
    if handler is None:
        from kfunclab.verifier.helper_specs import helper_spec
        from kfunclab.verifier.rules.helper_engine import check_data_helper

        spec = helper_spec(full)
        if spec is None:
            raise Unsupported(f"kfunclab does not model helper {full}#{insn.imm} yet", idx)
        check_data_helper(env, state, insn, idx, spec)
        return
    if not _helper_allowed(env, name):
        raise Reject(msg.HELPER_NOT_ALLOWED.format(name=full, imm=insn.imm))
    if name in _GPL_HELPERS and not env.program_gpl:
        raise Reject(msg.HELPER_GPL_ONLY, errno=22)
    handler(env, state, idx, insn)
    if name in _VOID_HELPERS:  # RET_VOID: check_helper_call() leaves R0 NOT_INIT
        state.regs[0] = NOT_INIT


#: helpers whose bpf_func_proto returns RET_VOID (helper-protos.json), written by hand here
_VOID_HELPERS = frozenset({"spin_lock", "spin_unlock", "ringbuf_submit", "ringbuf_discard",
                           "ringbuf_submit_dynptr", "ringbuf_discard_dynptr"})


def _constant_map_key(env: Env, state: VState, key: Reg, key_size: int) -> int | None:
    """``get_constant_map_key()``: a key known on the stack (zeros or a constant spill)."""
    from kfunclab.verifier.precision import mark_chain_precision

    if not env.privileged or key.type is not RegType.PTR_TO_STACK or not key.var.is_const:
        return None
    addr = key.off + key.var.const_value
    if addr >= 1 << 63:
        addr -= 1 << 64
    slot = -addr - 1
    spi, off = slot // 8, slot % 8
    if key.frameno != len(state.frames) - 1:
        return None  # a caller's slot (in a callback): not tracked for precision here
    entry = state.cur.stack.get(spi)
    if entry is None:
        return None
    stype = entry.types
    zero = 0
    i = off
    while i >= 0 and stype[i] == "0":
        zero += 1
        i -= 1
    if zero >= key_size:
        return 0
    if stype[7] != "r" or entry.spilled.type is not RegType.SCALAR:
        return None
    spill = 0
    i = off
    while i >= 0 and stype[i] == "r":
        spill += 1
        i -= 1
    if spill != key_size or not entry.spilled.var.is_const:
        return None
    mark_chain_precision(env, state, set(), {spi})
    return entry.spilled.var.const_value


def _h_map_lookup(env: Env, state: VState, idx: int, insn: Call) -> None:
    m = _map_arg(env, state, 1, "map_lookup_elem", idx).map
    mem_arg(env, state, 2, m.key.size)
    check_map_func_compatibility(env, m.map_type, "map_lookup_elem")
    if m.map_type in SOCKET_MAPS:
        socket_lookup(env, state, m, idx)
        return
    key = None
    if m.map_type in ("array", "percpu_array"):  # can_elide_value_nullness()
        key = _constant_map_key(env, state, state.regs[2], m.key.size)
    clobber_caller_saved(state)
    if m.inner is not None:  # a map of maps: its inner map (inner_map_meta) or NULL
        state.regs[0] = Reg(RegType.CONST_PTR_TO_MAP, flags=TypeFlag.MAYBE_NULL, map=m.inner,
                            id=env.new_id())
        return
    if key is not None and key < m.max_entries:
        struct = getattr(m.value, "struct", None)
        has_lock = struct is not None and any(x.kind.value == "spin_lock" for x in struct.members)
        # a map value with a bpf_spin_lock always gets an id: the lock is tracked by it
        state.regs[0] = Reg(RegType.PTR_TO_MAP_VALUE, map=m, id=env.new_id() if has_lock else 0)
        return
    state.regs[0] = Reg(RegType.PTR_TO_MAP_VALUE, flags=TypeFlag.MAYBE_NULL, map=m,
                        id=env.new_id())


def _h_map_update(env: Env, state: VState, idx: int, insn: Call) -> None:
    m = _map_arg(env, state, 1, "map_update_elem", idx).map
    mem_arg(env, state, 2, m.key.size)
    mem_arg(env, state, 3, m.value.size)
    _scalar_args(state, range(4, 5))
    check_map_func_compatibility(env, m.map_type, "map_update_elem")
    int_return(state)


def _h_map_delete(env: Env, state: VState, idx: int, insn: Call) -> None:
    m = _map_arg(env, state, 1, "map_delete_elem", idx).map
    mem_arg(env, state, 2, m.key.size)
    check_map_func_compatibility(env, m.map_type, "map_delete_elem")
    int_return(state)


def _h_no_args(env: Env, state: VState, idx: int, insn: Call) -> None:
    int_return(state)


def _h_trace_printk(env: Env, state: VState, idx: int, insn: Call) -> None:
    size_reg = state.regs[2]
    if size_reg.type is RegType.NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=2))
    size = size_reg.var.umax if size_reg.type is RegType.SCALAR else 0
    mem_arg(env, state, 1, size)
    from kfunclab.verifier.precision import mark_chain_precision

    if size_reg.type is RegType.SCALAR:  # check_mem_size_reg(): ARG_CONST_SIZE
        mark_chain_precision(env, state, {2})
    int_return(state)


def _h_current_task_btf(env: Env, state: VState, idx: int, insn: Call) -> None:
    clobber_caller_saved(state)
    state.regs[0] = kernel_struct_reg(env, "task_struct", TypeFlag.TRUSTED)


def _h_kptr_xchg(env: Env, state: VState, idx: int, insn: Call) -> None:
    """``bpf_kptr_xchg(map_value + off, ptr)``: swap a referenced kptr in or out of a map."""
    dst = state.regs[1]
    if dst.type is RegType.NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=1))
    # kptr_xchg_dest_types: a map value, or (6.18) an allocated object
    in_object = dst.type is RegType.PTR_TO_BTF_ID and dst.flags == TypeFlag.ALLOC
    if (dst.type is not RegType.PTR_TO_MAP_VALUE and not in_object) \
            or dst.flags & TypeFlag.MAYBE_NULL:
        raise Reject(msg.ARG_TYPE_MISMATCH.format(regno=1, type=reg_type_str(dst.type, dst.flags),
                                                  expected=msg.KPTR_XCHG_DST_TYPES))
    if not dst.var.is_const:
        raise Reject(msg.KPTR_XCHG_NOT_KPTR, errno=22)
    off = dst.off + dst.var.const_value
    member = (kptr_member(dst.map, off) if not in_object
              else records.kptr_field(records.reg_record(env, dst), off))
    if member is None or not is_referenced_kptr(env, member):
        raise Reject(msg.KPTR_XCHG_NO_KPTR_AT_OFF.format(off=off))
    local = (percpu_kptrs.local_pointee(env, member) if percpu_kptrs.is_percpu_kptr(member)
             else records.local_kptr_type(env, member))
    percpu_kptrs.no_percpu_kptr_inside(local, "bpf_kptr_xchg")
    new = state.regs[2]
    if new.type is RegType.NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=2))
    if not new.is_null:
        percpu_kptrs.check_xchg_value(member, local, new)
        if not new.ref_obj_id:
            raise Reject(msg.RELEASE_ARG_NOT_REFERENCED.format(regno=2), errno=22)
        if not percpu_kptrs.release_moved(env, state, new.ref_obj_id, idx):
            raise Reject(msg.HELPER_REF_NOT_ACQUIRED.format(name="bpf_kptr_xchg", imm=insn.imm))
    clobber_caller_saved(state)
    if local is not None:  # a kptr to a program type holds bpf_obj_new objects (MEM_ALLOC)
        flags = TypeFlag.ALLOC | TypeFlag.MAYBE_NULL
        if percpu_kptrs.is_percpu_kptr(member):  # ... or bpf_percpu_obj_new ones
            flags |= TypeFlag.PERCPU
        r0 = Reg(RegType.PTR_TO_BTF_ID, flags=int(flags), btf_id=local.btf_id,
                 btf_name=local.name, local=True)
    else:
        r0 = kernel_struct_reg(env, member.type_name, TypeFlag.MAYBE_NULL)
    env.new_id()  # check_helper_call(): a maybe-NULL return gets an id before the acquire
    ref = acquire_reference(env, state, idx, "bpf_kptr_xchg")
    state.regs[0] = r0.evolve(id=ref, ref_obj_id=ref)


def _h_write_buffer(env: Env, state: VState, idx: int, insn: Call) -> None:
    """``bpf_get_current_comm(buf, size)``, ``bpf_probe_read_kernel(dst, size, src)``: the
    helper fills ``size`` bytes of R1 (ARG_PTR_TO_UNINIT_MEM, so they need not be written)."""
    name = (insn.name or "").removeprefix("bpf_")
    zero_ok = name != "get_current_comm"
    size = const_size(state, 2, zero_ok)
    mem_arg(env, state, 1, size, "write", raw_mode=True)
    if name.startswith("probe_read"):
        _scalar_args(state, range(3, 4))
    from kfunclab.verifier.precision import mark_chain_precision

    mark_chain_precision(env, state, {2})
    int_return(state)
    if name in SIZED_RETURN:
        sized_return(state, size)


def _h_ringbuf_reserve(env: Env, state: VState, idx: int, insn: Call) -> None:
    """``bpf_ringbuf_reserve(map, size, flags)``: acquires a record (mem_or_null, sized)."""
    m = _map_arg(env, state, 1, "ringbuf_reserve", idx).map
    if m.map_type != "ringbuf":
        raise Reject(msg.MAP_TYPE_FOR_FUNC.format(map_type=MAP_TYPES.get(m.map_type, m.map_type),
                                                  func="bpf_ringbuf_reserve#131"), errno=22)
    size = state.regs[2]
    if size.type is RegType.NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=2))
    if size.type is not RegType.SCALAR:  # check_reg_type() comes before the constant check
        raise Reject(msg.ARG_TYPE_MISMATCH.format(regno=2, type=reg_type_str(size.type, size.flags),
                                                  expected="scalar"))
    if not size.var.is_const:
        raise Reject("R2 is not a known constant'")
    from kfunclab.verifier.precision import mark_chain_precision

    mark_chain_precision(env, state, {2})
    _scalar_args(state, range(3, 4))
    clobber_caller_saved(state)
    env.new_id()  # the maybe-NULL id, replaced by the reference's (check_helper_call)
    ref = acquire_reference(env, state, idx, "bpf_ringbuf_reserve")
    state.regs[0] = Reg(RegType.PTR_TO_MEM, flags=TypeFlag.RINGBUF | TypeFlag.MAYBE_NULL,
                        mem_size=size.var.const_value, id=ref, ref_obj_id=ref)


def _h_ringbuf_release(env: Env, state: VState, idx: int, insn: Call) -> None:
    """``bpf_ringbuf_submit/discard(data, flags)``: releases the reserved record."""
    data = state.regs[1]
    if data.type is RegType.NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=1))
    if data.type is not RegType.PTR_TO_MEM or not data.flags & TypeFlag.RINGBUF \
            or data.flags & TypeFlag.MAYBE_NULL:
        raise Reject(msg.ARG_TYPE_MISMATCH.format(regno=1,
                                                  type=reg_type_str(data.type, data.flags),
                                                  expected="ringbuf_mem"))
    if not data.ref_obj_id:
        raise Reject(msg.RELEASE_ARG_NOT_REFERENCED.format(regno=1), errno=22)
    if data.off:
        raise Reject(msg.KFUNC_BAD_OFFSET.format(regno=1), errno=22)
    _scalar_args(state, range(2, 3))
    name = insn.name or "bpf_ringbuf_submit"
    if not release_reference(env, state, data.ref_obj_id, idx, where="R1"):
        raise Reject(msg.HELPER_REF_NOT_ACQUIRED.format(name=name, imm=insn.imm))
    clobber_caller_saved(state)


def _h_ringbuf_output(env: Env, state: VState, idx: int, insn: Call) -> None:
    m = _map_arg(env, state, 1, "ringbuf_output", idx).map
    if m.map_type != "ringbuf":
        raise Reject(msg.MAP_TYPE_FOR_FUNC.format(map_type=MAP_TYPES.get(m.map_type, m.map_type),
                                                  func="bpf_ringbuf_output#130"), errno=22)
    size = const_size(state, 3, True)
    mem_arg(env, state, 2, size)
    _scalar_args(state, range(4, 5))
    int_return(state)


def _spin_lock_arg(env: Env, state: VState, lock: bool) -> Reg:
    """``process_spin_lock()``: R1 points exactly at the ``struct bpf_spin_lock`` of a map
    value or of a ``bpf_obj_new`` object."""
    reg = state.regs[1]
    if reg.type is RegType.NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=1))
    alloc = (reg.type is RegType.PTR_TO_BTF_ID and reg.flags & TypeFlag.ALLOC
             and not reg.flags & TypeFlag.NON_OWN_REF)
    if (reg.type is not RegType.PTR_TO_MAP_VALUE and not alloc) \
            or reg.flags & TypeFlag.MAYBE_NULL:
        raise Reject(msg.ARG_TYPE_MISMATCH.format(regno=1, type=reg_type_str(reg.type, reg.flags),
                                                  expected="map_value, ptr_"))
    check_spin_lock_in_cb(env, state)
    if not reg.var.is_const:
        raise Reject(msg.SPIN_LOCK_VAR_OFFSET.format(regno=1), errno=22)
    struct = records.reg_record(env, reg)
    lock_off = records.spin_lock_off(struct)
    if lock_off < 0:
        kind, name = ("map", reg.map.name) if reg.map is not None else ("local", "kptr")
        raise Reject(msg.SPIN_LOCK_NONE.format(kind=kind, name=name), errno=22)
    off = reg.off + reg.var.const_value
    if off != lock_off:
        raise Reject(msg.SPIN_LOCK_WRONG_OFFSET.format(off=off, lock_off=lock_off), errno=22)
    del lock
    return reg


def _h_spin_lock(env: Env, state: VState, idx: int, insn: Call) -> None:
    reg = _spin_lock_arg(env, state, True)
    if state.active_locks:
        raise Reject(msg.SPIN_LOCK_TWICE, errno=22)
    state.refs.append(Ref(reg.id, idx, RefKind.LOCK, "bpf_spin_lock", records.lock_owner(reg)))
    state.active_locks += 1
    int_return(state)


def _h_spin_unlock(env: Env, state: VState, idx: int, insn: Call) -> None:
    reg = _spin_lock_arg(env, state, False)
    if not state.active_locks:
        raise Reject(msg.SPIN_UNLOCK_WITHOUT_LOCK.format(name="bpf_spin"), errno=22)
    owner = records.lock_owner(reg)
    held = next((r for r in state.refs if r.kind is RefKind.LOCK and r.id == reg.id
                 and r.owner == owner), None)
    if held is None:
        raise Reject(msg.SPIN_UNLOCK_DIFFERENT.format(name="bpf_spin"), errno=22)
    state.refs.remove(held)
    state.active_locks -= 1
    graph.invalidate_non_owning_refs(env, state)
    int_return(state)


_HELPERS = {
    **DYNPTR_HELPERS,  # rules/dynptrs.py
    "spin_lock": _h_spin_lock,
    "spin_unlock": _h_spin_unlock,
    "map_lookup_elem": _h_map_lookup,
    "map_update_elem": _h_map_update,
    "map_delete_elem": _h_map_delete,
    "get_prandom_u32": _h_no_args,
    "ktime_get_ns": _h_no_args,
    "get_smp_processor_id": _h_no_args,
    "get_current_pid_tgid": _h_no_args,
    "get_current_uid_gid": _h_no_args,
    "get_current_task": _h_no_args,
    "trace_printk": _h_trace_printk,
    "get_current_task_btf": _h_current_task_btf,
    "kptr_xchg": _h_kptr_xchg,
    "ktime_get_boot_ns": _h_no_args,
    "get_current_comm": _h_write_buffer,
    "probe_read_kernel": _h_write_buffer,
    "probe_read_kernel_str": _h_write_buffer,
    "ringbuf_reserve": _h_ringbuf_reserve,
    "ringbuf_submit": _h_ringbuf_release,
    "ringbuf_discard": _h_ringbuf_release,
    "ringbuf_output": _h_ringbuf_output,
    "get_local_storage": h_get_local_storage,
}
