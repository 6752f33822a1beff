"""Context access: which fields of R1's object a program type may read or write, and as what.

Each program type's ``is_valid_access`` callback in the kernel (``xdp_is_valid_access``,
``tc_cls_act_is_valid_access``, ``btf_ctx_access`` ...) decides; a refused access prints
``invalid bpf_context access off=%d size=%d`` (``check_ctx_access()``).
"""

from __future__ import annotations

from kfunclab.btf.tracing import func_args, tracepoint_args
from kfunclab.ctype import CType, Kind
from kfunclab.errors import BtfError
from kfunclab.progtypes import AttachType, ProgType
from kfunclab.verifier import messages as msg
from kfunclab.verifier.ctx_skb import SKB_TYPES, skb_ctx_access
from kfunclab.verifier.ctx_sock import SOCK_CTX_TYPES, sock_ctx_access
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.iter_ctx import iter_ctx_access
from kfunclab.verifier.regs import UNKNOWN_SCALAR, Reg, RegType, TypeFlag
from kfunclab.verifier.struct_ops import ctx_arg_struct, member_of
from kfunclab.verifier.trampoline import UNTRUSTED_LSM_HOOKS, return_slot, return_slot_readable
from kfunclab.verifier.trust import kernel_struct_reg

# struct xdp_md (UAPI): data, data_end, data_meta, ingress_ifindex, rx_queue_index,
# egress_ifindex, each u32
_XDP_SIZE = 24
_XDP_PTRS = {0: RegType.PTR_TO_PACKET, 4: RegType.PTR_TO_PACKET_END, 8: RegType.PTR_TO_PACKET_META}

def _refuse(off: int, size: int) -> Reject:
    return Reject(msg.INVALID_CTX_ACCESS.format(off=off, size=size))


def ctx_access(env: Env, off: int, size: int, kind: str, signed: bool = False) -> Reg:
    """The value a read of ``size`` bytes at ``ctx + off`` gives (UNKNOWN_SCALAR for data);
    ``signed``: a sign-extending load (BPF_MEMSX), which may not load a packet pointer."""
    pt = env.prog_type.prog_type
    write = kind == "write"
    if pt is ProgType.XDP:
        reg = _xdp(off, size, write)
        if signed and reg.is_pointer:  # info->is_ldsx
            raise _refuse(off, size)
        return reg
    if pt in SKB_TYPES:
        program = env.program
        reg = skb_ctx_access(pt, off, size, write, program.has_cap("cap_bpf"),
                             program.has_cap("cap_sys_admin"))
        if signed and reg.is_pointer:  # bpf_skb_is_valid_access(): info->is_ldsx
            raise _refuse(off, size)
        return reg
    if pt in SOCK_CTX_TYPES:
        reg = sock_ctx_access(pt, env.prog_type.expected_attach_type, off, size, write)
        if signed and pt is ProgType.FLOW_DISSECTOR and reg.is_pointer:
            raise _refuse(off, size)  # flow_dissector_is_valid_access(): info->is_ldsx
        return reg
    if pt is ProgType.NETFILTER:
        return _netfilter(env, off, size, write)
    if pt is ProgType.SYSCALL:
        if off < 0 or off >= 0xFFFF or off % size:
            raise _refuse(off, size)
        return UNKNOWN_SCALAR
    if env.prog_type.context.btf_args:
        return _btf_args(env, off, size, write)
    if pt is ProgType.KPROBE:
        return _read_only_struct(off, size, write, 168)
    if pt is ProgType.PERF_EVENT:
        return _perf_event(off, size, write)
    if pt is ProgType.TRACEPOINT:
        # tp_prog_is_valid_access(): the first 8 bytes (the common header) stay hidden; the
        # kernel compares ``off < sizeof(void *)`` unsigned, so negative offsets pass
        if write or 0 <= off < 8 or off >= 2048 or off % size:
            raise _refuse(off, size)
        return UNKNOWN_SCALAR
    if pt in (ProgType.RAW_TRACEPOINT, ProgType.RAW_TRACEPOINT_WRITABLE):
        if pt is ProgType.RAW_TRACEPOINT_WRITABLE and off == 0 and size == 8 and not write:
            raise Unsupported("the tracepoint buffer of a writable raw tracepoint "
                              "(PTR_TO_TP_BUFFER) is not modelled by kfunclab")
        # bpf_tracing_ctx_access(): any aligned read of the 12 u64 arguments
        if write or off < 0 or off >= 8 * 12 or off % size or (
                pt is ProgType.RAW_TRACEPOINT_WRITABLE and off == 0):
            raise _refuse(off, size)
        return UNKNOWN_SCALAR
    # other program types (sock_ops, sock_addr, sockopt, sk_msg ...): each has its own
    # is_valid_access rules and context conversions, which kfunclab does not model yet
    raise Unsupported(f"context access for {pt.kernel_name} (ctx+{off}, {size} bytes) is not "
                      "modelled by kfunclab")


def _xdp(off: int, size: int, write: bool) -> Reg:
    """``xdp_is_valid_access()``: read-only u32 fields; data pointers become packet pointers."""
    if write or off == 20 or off < 0 or off >= _XDP_SIZE or off % size or size != 4:
        raise _refuse(off, size)
    ptr = _XDP_PTRS.get(off)
    return Reg(ptr) if ptr is not None else UNKNOWN_SCALAR


#: struct bpf_nf_ctx (include/net/netfilter/nf_bpf_link.h): the struct each u64 points to
_NF_CTX_FIELDS = {0: "nf_hook_state", 8: "sk_buff"}


def _netfilter(env: Env, off: int, size: int, write: bool) -> Reg:
    """``nf_is_valid_access()``: struct bpf_nf_ctx is read only, its two pointers read whole;
    each is a trusted kernel pointer (``nf_ptr_to_btf_id()``: PTR_TO_BTF_ID | PTR_TRUSTED)."""
    struct = _NF_CTX_FIELDS.get(off)
    if write or struct is None or size != 8:
        raise _refuse(off, size)
    return kernel_struct_reg(env, struct, TypeFlag.TRUSTED)


def _perf_event(off: int, size: int, write: bool) -> Reg:
    """``pe_prog_is_valid_access()``: struct bpf_perf_event_data, read only; the registers
    (168 bytes of pt_regs) whole u64s, sample_period (168) and addr (176) narrow too."""
    if write or off < 0 or off >= 184 or off % size:
        raise _refuse(off, size)
    if off >= 168:
        if size > 8 or size & (size - 1):
            raise _refuse(off, size)
    elif size != 8:
        raise _refuse(off, size)
    return UNKNOWN_SCALAR


def _read_only_struct(off: int, size: int, write: bool, struct_size: int) -> Reg:
    if write or off < 0 or off + size > struct_size or off % size:
        raise _refuse(off, size)
    return UNKNOWN_SCALAR


def _trusted_args(env: Env) -> bool:
    """``prog_args_trusted()``: tp_btf, iterators, LSM and struct_ops arguments are trusted."""
    pt = env.prog_type
    if pt.prog_type is ProgType.TRACING:
        return pt.expected_attach_type in (AttachType.TRACE_RAW_TP, AttachType.TRACE_ITER)
    if pt.prog_type is ProgType.LSM:  # bpf_lsm_is_trusted()
        return (pt.attach_target or "") not in UNTRUSTED_LSM_HOOKS
    return pt.prog_type is ProgType.STRUCT_OPS


def tracing_args(env: Env) -> tuple[CType, ...]:
    pt = env.prog_type
    if pt.prog_type is ProgType.STRUCT_OPS:  # the member's prototype
        return member_of(env).args
    if env.btf is None or pt.attach_target is None:
        return ()
    try:
        if pt.expected_attach_type is AttachType.TRACE_RAW_TP:
            return tracepoint_args(env.btf, pt.attach_target)
        if pt.prog_type is ProgType.LSM:
            return func_args(env.btf, "bpf_lsm_" + pt.attach_target)
        return func_args(env.btf, pt.attach_target)
    except BtfError as exc:
        raise Reject(f"kfunclab: {exc}", errno=22) from exc


def _btf_args(env: Env, off: int, size: int, write: bool) -> Reg:
    """``btf_ctx_access()``: ctx is an array of u64 arguments typed by the attach target."""
    if env.prog_type.expected_attach_type is AttachType.TRACE_ITER:
        return iter_ctx_access(env, off, size, write)
    args = tracing_args(env)
    struct_ops = env.prog_type.prog_type is ProgType.STRUCT_OPS
    name = member_of(env).member if struct_ops else env.prog_type.attach_target
    if write or off < 0:
        raise _refuse(off, size)
    if off % 8:
        raise Reject(msg.INVALID_CTX_ACCESS.format(off=off, size=size),
                     (f"func '{name}' offset {off} is not multiple of 8",))
    index = off // 8
    if index == len(args) and not struct_ops and return_slot_readable(env):
        return return_slot(env)  # fexit/fmod_ret: the traced function's return value
    if index >= len(args):
        raise Reject(msg.INVALID_CTX_ACCESS.format(off=off, size=size),
                     (f"func '{name}' doesn't have {index + 1}-th argument",))
    ctype = args[index]
    if ctype.kind is not Kind.PTR:
        return UNKNOWN_SCALAR
    target = ctype.target
    if target is None or target.kind is not Kind.STRUCT:
        return UNKNOWN_SCALAR
    if size != 8:
        raise _refuse(off, size)
    log = getattr(env, "log", None)
    if log is not None and env.btf is not None:
        ids = env.btf.find(target.name, "STRUCT")
        # btf_ctx_access() says which type the argument has
        log.line(f"func '{name}' arg{index} has btf_id {ids[0] if ids else 0} type STRUCT "
                 f"'{target.name}'")
    flags = TypeFlag.TRUSTED if _trusted_args(env) else 0
    struct = ctx_arg_struct(env, index, ctype) if struct_ops else target.name
    return kernel_struct_reg(env, struct, flags)
