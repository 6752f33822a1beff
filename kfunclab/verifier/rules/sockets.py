"""Loads through socket pointers: ``check_sock_access()`` of Linux 6.18 (kernel/bpf/verifier.c).

A ``sock_common``, ``sock``, ``tcp_sock`` or ``xdp_sock`` register (from ``skb->sk``,
``bpf_sk_fullsock()``, ``bpf_tcp_sock()``, ``bpf_sk_lookup_tcp()`` ...) reads the fields of the
uapi mirrors ``struct bpf_sock``, ``struct bpf_tcp_sock`` and ``struct bpf_xdp_sock``, with the
rules of ``bpf_sock_common_is_valid_access()``, ``bpf_sock_is_valid_access()``,
``bpf_tcp_sock_is_valid_access()`` and ``bpf_xdp_sock_is_valid_access()`` (net/core/filter.c).
The offsets below are the uapi layouts (include/uapi/linux/bpf.h), which never change.

>>> sock_access_ok(RegType.PTR_TO_SOCKET, 48, 2), sock_access_ok(RegType.PTR_TO_SOCKET, 50, 2)
(True, False)
>>> sock_access_ok(RegType.PTR_TO_SOCK_COMMON, 8, 4)
False
"""

from __future__ import annotations

from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Reject
from kfunclab.verifier.references import not_null_socket
from kfunclab.verifier.regs import UNKNOWN_SCALAR, Reg, RegType, TypeFlag, reg_type_str
from kfunclab.verifier.state import VState

#: base types check_mem_access() sends to check_sock_access() (type_is_sk_pointer(): the
#: exact types, so a _or_null pointer is an "invalid mem access")
SOCK_TYPES = frozenset({RegType.PTR_TO_SOCK_COMMON, RegType.PTR_TO_SOCKET,
                        RegType.PTR_TO_TCP_SOCK, RegType.PTR_TO_XDP_SOCK})

# struct bpf_sock: bound_dev_if 0, family 4, type 8, protocol 12, mark 16, priority 20,
# src_ip4 24, src_ip6[4] 28, src_port 44, dst_port 48 (__be16, then 2 bytes of padding),
# dst_ip4 52, dst_ip6[4] 56, state 72, rx_queue_mapping 76; 80 bytes.
_SOCK_SIZE = 80
# narrow loads allowed: at the exact start of state, family, type, protocol, src_port,
# rx_queue_mapping; anywhere inside the addresses src_ip4, src_ip6, dst_ip4, dst_ip6
_SOCK_NARROW_AT = frozenset({4, 8, 12, 44, 72, 76})
_SOCK_NARROW_IN = ((24, 44), (52, 72))
_SOCK_DST_PORT = (48, 50)
_SOCK_PAD = (50, 52)
_SOCK_COMMON_REFUSED = (8, 24)  # type .. priority: not in struct sock_common
# struct bpf_tcp_sock: u32 fields, but bytes_received (80) and bytes_acked (88) are u64;
# it ends with icsk_retransmits at 108.
_TCP_SOCK_END = 112
_TCP_SOCK_U64 = (80, 88)
_XDP_SOCK_END = 4  # queue_id


def _narrow_ok(size: int, field: int) -> bool:
    """``bpf_ctx_narrow_access_ok()``: a power of two no larger than the field."""
    return size <= field and size & (size - 1) == 0


def _bpf_sock_ok(off: int, size: int) -> bool:
    if off < 0 or off >= _SOCK_SIZE or off % size:
        return False
    if off in _SOCK_NARROW_AT or any(a <= off < b for a, b in _SOCK_NARROW_IN):
        return _narrow_ok(size, 4)
    if _SOCK_DST_PORT[0] <= off < _SOCK_DST_PORT[1]:
        return _narrow_ok(size, 4 if size == 4 else 2)
    if _SOCK_PAD[0] <= off < _SOCK_PAD[1]:
        return False
    return size == 4


def sock_access_ok(reg_type: RegType, off: int, size: int) -> bool:
    """May a ``size``-byte load read ``off`` of a ``reg_type`` socket pointer?"""
    if reg_type is RegType.PTR_TO_SOCK_COMMON:
        if _SOCK_COMMON_REFUSED[0] <= off < _SOCK_COMMON_REFUSED[1]:
            return False
        return _bpf_sock_ok(off, size)
    if reg_type is RegType.PTR_TO_SOCKET:
        return _bpf_sock_ok(off, size)
    if reg_type is RegType.PTR_TO_TCP_SOCK:
        if off < 0 or off >= _TCP_SOCK_END or off % size:
            return False
        return size == (8 if off in _TCP_SOCK_U64 else 4)
    if reg_type is RegType.PTR_TO_XDP_SOCK:
        return 0 <= off < _XDP_SOCK_END and not off % size and size == 4
    return False


def check_sock_access(state: VState, regno: int, off: int, size: int, write: bool,
                      value_regno: int) -> None:
    """``check_mem_access()`` on a socket pointer: read only, field by field."""
    reg = state.regs[regno]
    if write:
        raise Reject(msg.WRITE_INTO_RDONLY.format(regno=regno,
                                                  type=reg_type_str(reg.type, reg.flags)))
    if reg.var.smin < 0:
        raise Reject(msg.SOCK_NEGATIVE_MIN.format(regno=regno))
    if not sock_access_ok(reg.type, off, size):
        raise Reject(msg.SOCK_INVALID_ACCESS.format(
            regno=regno, type=reg_type_str(reg.type, reg.flags), off=off, size=size))
    if value_regno >= 0:
        state.regs[value_regno] = UNKNOWN_SCALAR


def infer_not_null_on_eq(eq_branch: VState | None, dst_reg: Reg, src_reg: Reg, dst: int,
                         src: int) -> None:
    """``check_cond_jmp_op()``: ``if rX == rY`` of two pointers, one maybe NULL and one not
    (neither PTR_TO_BTF_ID): on the equal branch the maybe-NULL one is not NULL either
    (``mark_ptr_not_null_reg()``, that register only; its copies keep their type)."""
    if eq_branch is None or not (dst_reg.is_pointer and src_reg.is_pointer):
        return
    if dst_reg.maybe_null == src_reg.maybe_null or RegType.PTR_TO_BTF_ID in (dst_reg.type,
                                                                          src_reg.type):
        return
    regno, reg = (src, src_reg) if src_reg.maybe_null else (dst, dst_reg)
    sock = not_null_socket(reg)
    if sock is not None:  # a sockmap/sockhash/xskmap value is its socket (the id stays)
        eq_branch.regs[regno] = sock.evolve(id=reg.id)
        return
    if reg.type is RegType.PTR_TO_MAP_VALUE and reg.map is not None \
            and reg.map.map_type not in ("array", "hash", "percpu_array", "percpu_hash",
                                         "lru_hash", "lru_percpu_hash", "ringbuf"):
        from kfunclab.verifier.env import Unsupported

        raise Unsupported(f"a NULL check by comparison of a {reg.map.map_type} map value")
    eq_branch.regs[regno] = reg.evolve(flags=reg.flags & ~TypeFlag.MAYBE_NULL)
