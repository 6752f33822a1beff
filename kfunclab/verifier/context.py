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
from kfunclab.verifier.env import Env, Reject, Unsupported
from kfunclab.verifier.regs import UNKNOWN_SCALAR, Reg, RegType, TypeFlag
from kfunclab.verifier.trust import kernel_struct_reg

# struct xdp_md (UAPI): data, data_end, data_meta, ingress_ifindex, rx_queue_index,
# egress_ifindex, each u32
_XDP_SIZE = 24
_XDP_PTRS = {0: RegType.PTR_TO_PACKET, 4: RegType.PTR_TO_PACKET_END, 8: RegType.PTR_TO_PACKET_META}

# struct __sk_buff (UAPI) offsets used by the access rules
_SKB_SIZE = 192
_SKB_MARK, _SKB_QUEUE_MAPPING, _SKB_PRIORITY, _SKB_TC_INDEX = 8, 12, 32, 44
_SKB_CB, _SKB_CB_END = 48, 68
_SKB_TC_CLASSID, _SKB_DATA, _SKB_DATA_END = 72, 76, 80
_SKB_FAMILY, _SKB_LOCAL_PORT_END = 88, 140
_SKB_DATA_META, _SKB_FLOW_KEYS, _SKB_TSTAMP, _SKB_WIRE_LEN = 140, 144, 152, 160
_SKB_SK, _SKB_TSTAMP_TYPE, _SKB_HWTSTAMP = 168, 180, 184
_SKB_PTRS = {_SKB_DATA: RegType.PTR_TO_PACKET, _SKB_DATA_END: RegType.PTR_TO_PACKET_END,
             _SKB_DATA_META: RegType.PTR_TO_PACKET_META}
_SKB_TYPES = frozenset({ProgType.SOCKET_FILTER, ProgType.SCHED_CLS, ProgType.SCHED_ACT,
                        ProgType.CGROUP_SKB, ProgType.LWT_IN, ProgType.LWT_OUT,
                        ProgType.LWT_XMIT, ProgType.LWT_SEG6LOCAL, ProgType.SK_SKB})


def _refuse(off: int, size: int) -> Reject:
    return Reject(msg.INVALID_CTX_ACCESS.format(off=off, size=size))


def ctx_access(env: Env, off: int, size: int, kind: str) -> Reg:
    """The value a read of ``size`` bytes at ``ctx + off`` gives (UNKNOWN_SCALAR for data)."""
    pt = env.prog_type.prog_type
    write = kind == "write"
    if pt is ProgType.XDP:
        return _xdp(off, size, write)
    if pt in _SKB_TYPES:
        return _skb(pt, off, size, write)
    if pt is ProgType.SYSCALL:
        if off < 0 or off >= 0xFFFF or off % size:
            raise _refuse(off, size)
        return UNKNOWN_SCALAR
    if env.prog_type.context.btf_args:
        return _btf_args(env, off, size, write)
    if pt is ProgType.KPROBE:
        return _read_only_struct(off, size, write, 168)
    if pt is ProgType.PERF_EVENT:
        return _read_only_struct(off, size, write, 184)
    if pt is ProgType.TRACEPOINT:
        return _read_only_struct(off, size, write, 2048)
    if pt in (ProgType.RAW_TRACEPOINT, ProgType.RAW_TRACEPOINT_WRITABLE):
        if write or off < 0 or off >= 8 * 12 or off % size or size != 8:
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


def _skb(pt: ProgType, off: int, size: int, write: bool) -> Reg:
    """``tc_cls_act_is_valid_access()`` / ``sk_filter_is_valid_access()`` and friends."""
    tc = pt in (ProgType.SCHED_CLS, ProgType.SCHED_ACT)
    if _refused_for(pt, off) or _in_wide_field(off, size):
        raise _refuse(off, size)
    if pt is ProgType.SOCKET_FILTER and (
            off in (_SKB_TC_CLASSID, _SKB_DATA, _SKB_DATA_META, _SKB_DATA_END, _SKB_WIRE_LEN)
            or _SKB_FAMILY <= off < _SKB_LOCAL_PORT_END or _SKB_TSTAMP <= off < _SKB_TSTAMP + 8
            or _SKB_HWTSTAMP <= off < _SKB_HWTSTAMP + 8):
        raise _refuse(off, size)
    if write:
        writable = _SKB_CB <= off < _SKB_CB_END
        if tc:
            writable = writable or off in (_SKB_MARK, _SKB_TC_INDEX, _SKB_PRIORITY,
                                           _SKB_TC_CLASSID, _SKB_QUEUE_MAPPING, _SKB_TSTAMP)
        if not writable:
            raise _refuse(off, size)
    if off < 0 or off >= _SKB_SIZE or off % size:
        raise _refuse(off, size)
    if _SKB_CB <= off < _SKB_CB_END:
        if off + size > _SKB_CB_END:
            raise _refuse(off, size)
        return UNKNOWN_SCALAR
    if off in _SKB_PTRS:
        if size != 4:
            raise _refuse(off, size)
        return Reg(_SKB_PTRS[off])
    if off in (_SKB_FLOW_KEYS, _SKB_TSTAMP_TYPE) or _SKB_TSTAMP_TYPE < off < _SKB_HWTSTAMP:
        raise _refuse(off, size)
    if off in (_SKB_TSTAMP, _SKB_HWTSTAMP):
        if size != 8 or (off == _SKB_HWTSTAMP and write):
            raise _refuse(off, size)
        return UNKNOWN_SCALAR
    if off == _SKB_SK:
        if write or size != 8:
            raise _refuse(off, size)
        return Reg(RegType.PTR_TO_SOCK_COMMON, flags=TypeFlag.MAYBE_NULL)
    if write and size != 4:
        raise _refuse(off, size)
    if not write and size > 4:
        raise _refuse(off, size)
    return UNKNOWN_SCALAR


# Fields the other __sk_buff program types may not touch (lwt_is_valid_access(),
# sk_skb_is_valid_access(), cg_skb_is_valid_access()): (start, end) byte ranges.
_SKB_TYPE_REFUSED = {
    ProgType.LWT_IN: ((_SKB_TC_CLASSID, _SKB_TC_CLASSID + 4), (_SKB_FAMILY, _SKB_LOCAL_PORT_END),
                      (_SKB_DATA_META, _SKB_DATA_META + 4), (_SKB_TSTAMP, _SKB_TSTAMP + 8),
                      (_SKB_WIRE_LEN, _SKB_WIRE_LEN + 4), (_SKB_HWTSTAMP, _SKB_HWTSTAMP + 8)),
    ProgType.SK_SKB: ((_SKB_TC_CLASSID, _SKB_TC_CLASSID + 4), (_SKB_DATA_META, _SKB_DATA_META + 4),
                      (_SKB_TSTAMP, _SKB_TSTAMP + 8), (_SKB_WIRE_LEN, _SKB_WIRE_LEN + 4),
                      (_SKB_HWTSTAMP, _SKB_HWTSTAMP + 8)),
    ProgType.CGROUP_SKB: ((_SKB_TC_CLASSID, _SKB_TC_CLASSID + 4),
                          (_SKB_DATA_META, _SKB_DATA_META + 4),
                          (_SKB_WIRE_LEN, _SKB_WIRE_LEN + 4)),
}
for _t in (ProgType.LWT_OUT, ProgType.LWT_XMIT, ProgType.LWT_SEG6LOCAL):
    _SKB_TYPE_REFUSED[_t] = _SKB_TYPE_REFUSED[ProgType.LWT_IN]
# 8-byte fields (pointers and u64s) that are only read whole: (start, end)
_SKB_WIDE = ((_SKB_FLOW_KEYS, _SKB_FLOW_KEYS + 8), (_SKB_TSTAMP, _SKB_TSTAMP + 8),
             (_SKB_SK, _SKB_SK + 8), (_SKB_HWTSTAMP, _SKB_HWTSTAMP + 8))


def _refused_for(pt: ProgType, off: int) -> bool:
    return any(lo <= off < hi for lo, hi in _SKB_TYPE_REFUSED.get(pt, ()))


def _in_wide_field(off: int, size: int) -> bool:
    return any(lo <= off < hi and (off != lo or size != 8) for lo, hi in _SKB_WIDE)


def _read_only_struct(off: int, size: int, write: bool, struct_size: int) -> Reg:
    if write or off < 0 or off + size > struct_size or off % size:
        raise _refuse(off, size)
    return UNKNOWN_SCALAR


def _trusted_args(env: Env) -> bool:
    """``prog_args_trusted()``: tp_btf, iterators, LSM and struct_ops arguments are trusted."""
    pt = env.prog_type
    if pt.prog_type is ProgType.TRACING:
        return pt.expected_attach_type in (AttachType.TRACE_RAW_TP, AttachType.TRACE_ITER)
    return pt.prog_type in (ProgType.LSM, ProgType.STRUCT_OPS)


def tracing_args(env: Env) -> tuple[CType, ...]:
    pt = env.prog_type
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
        raise Unsupported("the context of an iterator program (struct bpf_iter__* with "
                          "nullable arguments) is not modelled by kfunclab")
    args = tracing_args(env)
    name = env.prog_type.attach_target
    if write or off < 0:
        raise _refuse(off, size)
    if off % 8:
        raise Reject(msg.INVALID_CTX_ACCESS.format(off=off, size=size),
                     (f"func '{name}' offset {off} is not multiple of 8",))
    index = off // 8
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
    return kernel_struct_reg(env, target.name, flags)
