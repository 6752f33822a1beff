"""Prototypes of helpers with plain arguments, as data (the kernel's ``struct bpf_func_proto``).

Each :class:`HelperProto` lists its argument kinds in R1..R5 order and the program types it is
known to be available in. A program type outside ``prog_types`` answers ``unsupported`` (the
kernel's per-type ``get_func_proto()`` tables are not all transcribed), never a guess.

Argument kinds: ``ctx`` (ARG_PTR_TO_CTX), ``any`` (ARG_ANYTHING), ``mem`` / ``mem_uninit``
(ARG_PTR_TO_MEM, read / written; the next argument is its size), ``mem_or_null`` (a readable
pointer or NULL), ``size`` / ``size0`` (ARG_CONST_SIZE / ARG_CONST_SIZE_OR_ZERO).

>>> HELPER_PROTOS["skb_load_bytes"].args
('ctx', 'any', 'mem_uninit', 'size')
"""

from __future__ import annotations

from dataclasses import dataclass

from kfunclab.isa.insn import Call
from kfunclab.progtypes import ProgType
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.regs import UNKNOWN_SCALAR, Reg, RegType, TypeFlag, reg_type_str
from kfunclab.verifier.rules.helper_args import (
    SIZED_RETURN,
    const_size,
    int_return,
    mem_arg,
    sized_return,
)
from kfunclab.verifier.state import VState
from kfunclab.verifier.trust import in_sleepable

P = ProgType
_SKB_READERS = frozenset({P.SOCKET_FILTER, P.SCHED_CLS, P.SCHED_ACT, P.CGROUP_SKB, P.LWT_IN,
                          P.LWT_OUT, P.LWT_XMIT, P.LWT_SEG6LOCAL, P.SK_SKB})
_TC = frozenset({P.SCHED_CLS, P.SCHED_ACT})
_TRACING = frozenset({P.KPROBE, P.TRACEPOINT, P.PERF_EVENT, P.RAW_TRACEPOINT,
                      P.RAW_TRACEPOINT_WRITABLE, P.TRACING, P.LSM})


@dataclass(frozen=True, slots=True)
class HelperProto:
    """A helper's arguments, where it may be called, and what it does to packet pointers."""

    args: tuple[str, ...]
    prog_types: frozenset[ProgType]
    changes_pkt_data: bool = False  # bpf_helper_changes_pkt_data(): packet pointers die
    sleepable_only: bool = False
    gpl_only: bool = False
    #: program types whose get_func_proto() is known to refuse the helper
    refused_in: frozenset[ProgType] = frozenset()


HELPER_PROTOS: dict[str, HelperProto] = {
    "skb_load_bytes": HelperProto(("ctx", "any", "mem_uninit", "size"), _SKB_READERS),
    "skb_store_bytes": HelperProto(("ctx", "any", "mem", "size", "any"),
                                   _TC | {P.LWT_XMIT, P.SK_SKB}, changes_pkt_data=True),
    "skb_pull_data": HelperProto(("ctx", "any"), _TC | {P.LWT_XMIT, P.SK_SKB},
                                 changes_pkt_data=True),
    # csum_diff (mem_or_null args) is checked from its data: rules/helper_engine.py
    "csum_update": HelperProto(("ctx", "any"), _TC),
    "xdp_adjust_head": HelperProto(("ctx", "any"), frozenset({P.XDP}), changes_pkt_data=True),
    "xdp_adjust_meta": HelperProto(("ctx", "any"), frozenset({P.XDP}), changes_pkt_data=True),
    "xdp_adjust_tail": HelperProto(("ctx", "any"), frozenset({P.XDP}), changes_pkt_data=True),
    "probe_read_user": HelperProto(("mem_uninit", "size0", "any"), _TRACING, gpl_only=True),
    "probe_read_user_str": HelperProto(("mem_uninit", "size0", "any"), _TRACING,
                                       gpl_only=True),
    "copy_from_user": HelperProto(("mem_uninit", "size0", "any"), _TRACING,
                                  sleepable_only=True, gpl_only=True),
    "ktime_get_coarse_ns": HelperProto((), _TC | {P.XDP, P.SOCKET_FILTER, P.CGROUP_SKB},
                                       refused_in=frozenset({
                                           P.KPROBE, P.TRACEPOINT, P.PERF_EVENT,
                                           P.RAW_TRACEPOINT, P.RAW_TRACEPOINT_WRITABLE})),
    "get_netns_cookie": HelperProto(("ctx?",), frozenset({P.CGROUP_SOCK_ADDR, P.CGROUP_SOCK,
                                                          P.SOCK_OPS})),
    "get_socket_cookie": HelperProto(("ctx",), _SKB_READERS - {P.LWT_IN, P.LWT_OUT,
                                                               P.LWT_XMIT, P.LWT_SEG6LOCAL}
                                     | {P.CGROUP_SOCK_ADDR, P.CGROUP_SOCK, P.SOCK_OPS}),
    # check_get_func_ip(): kprobes always; tracing programs only with a trampoline
    "get_func_ip": HelperProto(("ctx",), frozenset({P.KPROBE})),
    "get_numa_node_id": HelperProto((), _TC | _TRACING | {P.XDP, P.SOCKET_FILTER}),
    "get_stack": HelperProto(("ctx", "mem_uninit", "size0", "any"), _TRACING - {P.LSM},
                             gpl_only=True),
    # a tail call that fails falls through (tailcall.py)
    "tail_call": HelperProto(("ctx", "prog_array", "any"), _TC | _TRACING | {
        P.XDP, P.SOCKET_FILTER, P.CGROUP_SKB, P.SK_SKB}, changes_pkt_data=True),
}
del P


def generic_helper(env: Env, state: VState, insn: Call, idx: int, full: str,
                    proto: HelperProto, available: bool = False) -> None:
    """``check_helper_call()`` from a :class:`HelperProto`: arguments in order, int return.
    ``available``: the caller already asked the program type's table (the data)."""
    if env.prog_type.prog_type in proto.refused_in:
        raise Reject(msg.HELPER_NOT_ALLOWED.format(name=full, imm=insn.imm))
    if not available and env.prog_type.prog_type not in proto.prog_types:
        raise Unsupported(f"kfunclab does not know whether {full}#{insn.imm} is available to "
                          f"{env.prog_type.prog_type.kernel_name}", idx)
    if proto.sleepable_only and not in_sleepable(env, state):
        raise Unsupported(f"{full}#{insn.imm} in a non-sleepable program is not modelled", idx)
    if proto.gpl_only and not env.program_gpl:  # type: ignore[attr-defined]
        raise Reject(msg.HELPER_GPL_ONLY, errno=22)
    if proto.sleepable_only:  # fn->might_sleep
        from kfunclab.verifier.trampoline import check_sleepable_helper_state

        check_sleepable_helper_state(state, full, insn.imm)
    msize_max = 0  # meta->msize_max_value: the largest size a memory argument was given
    for i, kind in enumerate(proto.args):
        regno = i + 1
        reg = state.regs[regno]
        if reg.type is RegType.NOT_INIT:
            raise Reject(msg.REG_NOT_READ_OK.format(regno=regno))
        if kind == "ctx?" and reg.type is RegType.SCALAR and reg.var.is_const \
                and reg.var.const_value == 0:
            continue  # ARG_PTR_TO_CTX_OR_NULL: NULL passes
        if kind == "ctx?":
            kind = "ctx"
        if kind == "ctx" and reg.type is not RegType.PTR_TO_CTX:
            raise Reject(msg.ARG_TYPE_MISMATCH.format(
                regno=regno, type=reg_type_str(reg.type, reg.flags), expected="ctx"))
        if kind == "ctx":  # __check_ptr_off_reg()
            if reg.off < 0:
                raise Reject(f"negative offset ctx ptr R{regno} off={reg.off} disallowed")
            if reg.off:
                raise Reject(f"dereference of modified ctx ptr R{regno} off={reg.off} "
                             "disallowed")
            if not reg.var.is_const or reg.var.const_value:
                v, m = reg.var.var_off
                raise Reject(f"variable ctx access var_off=({v:#x}; {m:#x}) disallowed")
        if kind in ("mem", "mem_uninit", "mem_or_null"):
            zero_ok = proto.args[i + 1] == "size0"
            size = msize_max = const_size(state, regno + 1, zero_ok)
            if kind == "mem_or_null" and reg.type is RegType.SCALAR:
                if not (reg.var.is_const and reg.var.const_value == 0 and size == 0):
                    raise Unsupported(f"{full}: a NULL or scalar memory argument R{regno} "
                                      "with a non-zero size is not modelled", idx)
                continue
            mem_arg(env, state, regno, size, "write" if kind == "mem_uninit" else "read",
                     raw_mode=kind == "mem_uninit")
        if kind == "prog_array" and (reg.type is not RegType.CONST_PTR_TO_MAP
                                     or reg.map.map_type != "prog_array"):
            raise Unsupported(f"{full}: R{regno} is not a prog_array map", idx)
    if any(k in ("size", "size0") for k in proto.args):
        from kfunclab.verifier.precision import mark_chain_precision

        mark_chain_precision(env, state, {i + 1 for i, k in enumerate(proto.args)
                                          if k in ("size", "size0")})
    if full == "bpf_tail_call":
        _record_func_key(env, state)
    name = full.removeprefix("bpf_")
    if name == "tail_call":
        from kfunclab.verifier.tailcall import check_tail_call_leak, tail_call_return

        check_tail_call_leak(env, state, idx)
        # R0 unset, packet pointers kept; in a subprogram step_insn() then returns to the
        # caller (tailcall.after_tail_call_in_subprog)
        int_return(state)
        tail_call_return(state)
        return
    if proto.changes_pkt_data:
        clear_packet_pointers(state)
    int_return(state)
    if name in SIZED_RETURN:
        sized_return(state, msize_max)


def _record_func_key(env: Env, state: VState) -> None:
    """``record_func_key()``: a constant index below the prog_array's ``max_entries`` lets the
    JIT emit a direct jump, so R3 is marked precise (a path with another constant must not be
    pruned against this one); any other index poisons the key and needs nothing."""
    from kfunclab.verifier.precision import mark_chain_precision

    key, prog_array = state.regs[3], state.regs[2].map
    if key.type is RegType.SCALAR and key.var.is_const and prog_array is not None \
            and key.var.const_value < prog_array.max_entries:
        mark_chain_precision(env, state, {3})


def clear_packet_pointers(state: VState) -> None:
    """``clear_all_pkt_pointers()``: a helper that may move packet data kills every pointer
    into it, in registers and in stack spills of every frame."""
    from dataclasses import replace

    from kfunclab.verifier.dynptr_slots import is_packet_slice

    pkt = (RegType.PTR_TO_PACKET, RegType.PTR_TO_PACKET_META, RegType.PTR_TO_PACKET_END)

    def dies(reg: Reg) -> bool:  # packet pointers and skb/xdp dynptr slices
        return reg.type in pkt or is_packet_slice(reg)

    for frame in state.frames:
        for r, reg in enumerate(frame.regs):
            if dies(reg):
                frame.regs[r] = UNKNOWN_SCALAR
        for spi, slot in list(frame.stack.items()):
            if dies(slot.spilled):
                frame.stack[spi] = replace(slot, spilled=UNKNOWN_SCALAR)


def check_arg_mem(env: Env, state: VState, regno: int, size: int) -> None:
    """``check_mem_reg()``: ``size`` bytes at R``regno`` readable, then written (unknown)."""

    reg = state.regs[regno]
    if reg.flags & TypeFlag.MAYBE_NULL:
        state.regs[regno] = reg.evolve(flags=reg.flags & ~TypeFlag.MAYBE_NULL)
    try:
        mem_arg(env, state, regno, size)
        mem_arg(env, state, regno, size, "write")
    finally:
        state.regs[regno] = reg
