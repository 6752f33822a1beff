"""Context access of the socket-level and cgroup program types (``*_is_valid_access()``).

Each program type's ``struct bpf_verifier_ops.is_valid_access`` callback in the kernel decides
which bytes of the UAPI context struct a load or store may touch, with which sizes, and what a
load gives: a scalar, or for the pointer fields a typed pointer (``sk`` a socket, ``data`` /
``data_end`` packet pointers, ``optval`` / ``optval_end`` of a sockopt the same). This module
holds those rules for ``sock_ops``, ``cgroup/sock``, ``cgroup/sock_addr``, ``cgroup/sockopt``,
``sk_msg``, ``sk_lookup``, ``sk_reuseport``, ``flow_dissector``, ``cgroup/sysctl`` and
``cgroup/dev``, from net/core/filter.c and kernel/bpf/cgroup.c of Linux 6.18. A refused access
is the kernel's ``invalid bpf_context access off=%d size=%d`` (``check_ctx_access()``).

Offsets are those of the UAPI structs (include/uapi/linux/bpf.h), which never move.

>>> from kfunclab.progtypes import ProgType
>>> sock_ctx_access(ProgType.SOCK_OPS, None, 184, 8, False).type.name
'PTR_TO_SOCKET'
"""

from __future__ import annotations

from collections.abc import Callable

from kfunclab.progtypes import AttachType, ProgType
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Reject
from kfunclab.verifier.regs import UNKNOWN_SCALAR, Reg, RegType, TypeFlag

A = AttachType
_SCALAR = UNKNOWN_SCALAR
_SOCK_OR_NULL = Reg(RegType.PTR_TO_SOCKET, flags=TypeFlag.MAYBE_NULL)
_SOCK = Reg(RegType.PTR_TO_SOCKET)
_PKT = Reg(RegType.PTR_TO_PACKET)
_PKT_END = Reg(RegType.PTR_TO_PACKET_END)


class _Refused(Exception):
    """An access the program type's is_valid_access() refuses."""


def _no() -> Reg:
    raise _Refused


def _in(off: int, start: int, end: int) -> bool:
    """``case bpf_ctx_range*(...)``: ``off`` within the bytes ``[start, end)``."""
    return start <= off < end


def _narrow(size: int, field: int) -> bool:
    """``bpf_ctx_narrow_access_ok()``: a power of two no wider than the field."""
    return size <= field and size & (size - 1) == 0


def _wide(off: int, size: int, start: int, end: int) -> bool:
    """``bpf_ctx_wide_access_ok()``: an aligned u64 within an array of u32s."""
    return size == 8 and start <= off and off + 8 <= end and off % 8 == 0


def _ok(cond: bool, value: Reg = _SCALAR) -> Reg:
    if not cond:
        raise _Refused
    return value


# --- struct bpf_sock (cgroup/sock programs) ------------------------------------------------------
# bound_dev_if 0, family 4, type 8, protocol 12, mark 16, priority 20, src_ip4 24, src_ip6 28..44,
# src_port 44, dst_port 48 (__be16, then 2 bytes of padding), dst_ip4 52, dst_ip6 56..72,
# state 72, rx_queue_mapping 76; 80 bytes
BPF_SOCK_SIZE = 80


def bpf_sock_access(off: int, size: int) -> bool:
    """``bpf_sock_is_valid_access()``: which reads of a ``struct bpf_sock`` are allowed
    (shared with the socket pointers other program types load)."""
    if off < 0 or off >= BPF_SOCK_SIZE or off % size:
        return False
    if off in (72, 4, 8, 12, 44, 76) or _in(off, 24, 44) or _in(off, 52, 72):
        return _narrow(size, 4)
    if _in(off, 48, 50):  # dst_port: a u32 load stays allowed for old programs
        return _narrow(size, 4 if size == 4 else 2)
    if _in(off, 50, 52):
        return False
    return size == 4


def _cgroup_sock(attach: AttachType | None, off: int, size: int, write: bool) -> Reg:
    """``sock_filter_is_valid_access()``: bpf_sock rules, then per attach type
    (``__sock_filter_check_attach_type()``)."""
    if not bpf_sock_access(off, size):
        raise _Refused
    create = attach in (A.CGROUP_INET_SOCK_CREATE, A.CGROUP_INET_SOCK_RELEASE)
    if off in (0, 16, 20):  # bound_dev_if, mark, priority: only sock create/release
        return _ok(create)
    if _in(off, 24, 28):
        return _ok(attach is A.CGROUP_INET4_POST_BIND and not write)
    if _in(off, 28, 44):
        return _ok(attach is A.CGROUP_INET6_POST_BIND and not write)
    if _in(off, 44, 48):
        return _ok(attach in (A.CGROUP_INET4_POST_BIND, A.CGROUP_INET6_POST_BIND) and not write)
    return _ok(not write)


# --- struct bpf_sock_ops (sockops programs) ------------------------------------------------------
# op 0, args/reply 4..20, family 20, ... sk_txhash 164, bytes_received 168, bytes_acked 176,
# sk 184, skb_data 192, skb_data_end 200, skb_len 208, skb_tcp_flags 212, skb_hwtstamp 216; 224
_SOCK_OPS_SIZE = 224


def _sock_ops(attach: AttachType | None, off: int, size: int, write: bool) -> Reg:
    """``sock_ops_is_valid_access()``."""
    if off < 0 or off >= _SOCK_OPS_SIZE or off % size:
        raise _Refused
    if write:  # reply and sk_txhash, whole
        return _ok(off in (4, 164) and size == 4)
    if _in(off, 168, 184) or _in(off, 216, 224):  # bytes_received, bytes_acked, skb_hwtstamp
        return _ok(size == 8)
    pointers = {184: _SOCK_OR_NULL, 192: _PKT, 200: _PKT_END}
    for start, value in pointers.items():
        if _in(off, start, start + 8):
            return _ok(size == 8 and off == start, value)
    if off == 212:  # skb_tcp_flags
        return _ok(_narrow(size, 4))
    return _ok(size == 4)


# --- struct bpf_sock_addr (cgroup/bind4, connect6, sendmsg4 ... programs) ------------------------
# user_family 0, user_ip4 4, user_ip6 8..24, user_port 24, family 28, type 32, protocol 36,
# msg_src_ip4 40, msg_src_ip6 44..60, sk 64; 72 bytes
_SOCK_ADDR_SIZE = 72
_IP4 = frozenset({A.CGROUP_INET4_BIND, A.CGROUP_INET4_CONNECT, A.CGROUP_INET4_GETPEERNAME,
                  A.CGROUP_INET4_GETSOCKNAME, A.CGROUP_UDP4_SENDMSG, A.CGROUP_UDP4_RECVMSG})
_IP6 = frozenset({A.CGROUP_INET6_BIND, A.CGROUP_INET6_CONNECT, A.CGROUP_INET6_GETPEERNAME,
                  A.CGROUP_INET6_GETSOCKNAME, A.CGROUP_UDP6_SENDMSG, A.CGROUP_UDP6_RECVMSG})


def _sock_addr(attach: AttachType | None, off: int, size: int, write: bool) -> Reg:
    """``sock_addr_is_valid_access()``: address fields only of the attach type's family."""
    if off < 0 or off >= _SOCK_ADDR_SIZE or off % size:
        raise _Refused
    if (_in(off, 4, 8) and attach not in _IP4) or (_in(off, 8, 24) and attach not in _IP6):
        raise _Refused
    if _in(off, 40, 44) and attach is not A.CGROUP_UDP4_SENDMSG:
        raise _Refused
    if _in(off, 44, 60) and attach is not A.CGROUP_UDP6_SENDMSG:
        raise _Refused
    if _in(off, 4, 28) or _in(off, 40, 60):  # addresses and user_port
        if _wide(off, size, 8, 24) or _wide(off, size, 44, 60):
            return _SCALAR
        return _ok(size == 4 if write else _narrow(size, 4))
    if _in(off, 64, 72):
        return _ok(not write and size == 8 and off == 64, _SOCK)
    if _in(off, 0, 4) or _in(off, 28, 40):  # user_family, family, type, protocol
        return _ok(not write and size == 4)
    raise _Refused


# --- struct bpf_sockopt (cgroup/getsockopt, setsockopt programs) ---------------------------------
# sk 0, optval 8, optval_end 16, level 24, optname 28, optlen 32, retval 36; 40 bytes


def _sockopt(attach: AttachType | None, off: int, size: int, write: bool) -> Reg:
    """``cg_sockopt_is_valid_access()`` (kernel/bpf/cgroup.c)."""
    if off < 0 or off >= 40 or off % size:
        raise _Refused
    get = attach is A.CGROUP_GETSOCKOPT
    if write:
        if off == 36:  # retval
            return _ok(size == 4 and get)
        if off in (24, 28):  # level, optname
            return _ok(size == 4 and attach is A.CGROUP_SETSOCKOPT)
        return _ok(off == 32 and size == 4)  # optlen
    pointers = {0: _SOCK, 8: _PKT, 16: _PKT_END}
    for start, value in pointers.items():
        if _in(off, start, start + 8):
            return _ok(size == 8 and off == start, value)
    if _in(off, 36, 40):
        return _ok(size == 4 and get)
    return _ok(size == 4)


# --- struct sk_msg_md (sk_msg programs) ----------------------------------------------------------
# data 0, data_end 8, family 16, remote_ip4 20, local_ip4 24, remote_ip6 28..44, local_ip6 44..60,
# remote_port 60, local_port 64, size 68, sk 72; 80 bytes


def _sk_msg(attach: AttachType | None, off: int, size: int, write: bool) -> Reg:
    """``sk_msg_is_valid_access()``: read only."""
    if write or off % size:
        raise _Refused
    pointers = {0: _PKT, 8: _PKT_END, 72: _SOCK}
    for start, value in pointers.items():
        if _in(off, start, start + 8):
            return _ok(size == 8 and off == start, value)
    return _ok(_in(off, 16, 72) and size == 4)


# --- struct bpf_sk_lookup (sk_lookup programs) ---------------------------------------------------
# sk / cookie 0, family 8, protocol 12, remote_ip4 16, remote_ip6 20..36, remote_port 36 (__be16,
# then 2 bytes of padding), local_ip4 40, local_ip6 44..60, local_port 60, ingress_ifindex 64; 72


def _sk_lookup(attach: AttachType | None, off: int, size: int, write: bool) -> Reg:
    """``sk_lookup_is_valid_access()``: read only."""
    if off < 0 or off >= 72 or off % size or write:
        raise _Refused
    if _in(off, 0, 8):
        return _ok(size == 8 and off == 0, _SOCK_OR_NULL)
    if _in(off, 36, 38):  # remote_port: u32 loads stay allowed for old programs
        return _ok(size == 4 or _narrow(size, 2))
    if _in(off, 38, 40):
        return _ok(_narrow(size, 2))
    return _ok((_in(off, 8, 36) or _in(off, 40, 68)) and _narrow(size, 4))


# --- struct sk_reuseport_md (sk_reuseport programs) ----------------------------------------------
# data 0, data_end 8, len 16, eth_protocol 20, ip_protocol 24, bind_inany 28, hash 32, sk 40,
# migrating_sk 48; 56 bytes


def _sk_reuseport(attach: AttachType | None, off: int, size: int, write: bool) -> Reg:
    """``sk_reuseport_is_valid_access()``: read only."""
    if off < 0 or off >= 56 or off % size or write:
        raise _Refused
    migrating = Reg(RegType.PTR_TO_SOCK_COMMON, flags=TypeFlag.MAYBE_NULL)
    pointers = {0: _PKT, 8: _PKT_END, 40: _SOCK, 48: migrating}
    for start, value in pointers.items():
        if _in(off, start, start + 8):
            return _ok(size == 8 and off == start, value)
    if off == 32:
        return _ok(size == 4)
    if _in(off, 20, 24) and size < 2:  # eth_protocol: at least the u16 of skb->protocol
        raise _Refused
    return _ok(_in(off, 16, 32) and _narrow(size, 4))


# --- struct __sk_buff in a flow dissector --------------------------------------------------------


def _flow_dissector(attach: AttachType | None, off: int, size: int, write: bool) -> Reg:
    """``flow_dissector_is_valid_access()``: data, data_end and flow_keys only, read only."""
    if off < 0 or off >= 192 or off % size or write:
        raise _Refused
    if _in(off, 76, 80):
        return _ok(size == 4, _PKT)
    if _in(off, 80, 84):
        return _ok(size == 4, _PKT_END)
    if _in(off, 144, 152):
        return _ok(size == 8 and off == 144, Reg(RegType.PTR_TO_FLOW_KEYS))
    raise _Refused


# --- struct bpf_sysctl, struct bpf_cgroup_dev_ctx ------------------------------------------------


def _sysctl(attach: AttachType | None, off: int, size: int, write: bool) -> Reg:
    """``sysctl_is_valid_access()``: write (read only) 0, file_pos 4 (writable, whole)."""
    if off < 0 or off + size > 8 or off % size:
        raise _Refused
    if off < 4:
        return _ok(not write and _narrow(size, 4))
    return _ok(size == 4 if write else _narrow(size, 4))


def _cgroup_dev(attach: AttachType | None, off: int, size: int, write: bool) -> Reg:
    """``cgroup_dev_is_valid_access()``: access_type 0 (narrow loads), major 4, minor 8."""
    if write or off < 0 or off + size > 12 or off % size:
        raise _Refused
    return _ok(_narrow(size, 4) if off < 4 else size == 4)


_RULES: dict[ProgType, Callable[[AttachType | None, int, int, bool], Reg]] = {
    ProgType.CGROUP_SOCK: _cgroup_sock,
    ProgType.SOCK_OPS: _sock_ops,
    ProgType.CGROUP_SOCK_ADDR: _sock_addr,
    ProgType.CGROUP_SOCKOPT: _sockopt,
    ProgType.SK_MSG: _sk_msg,
    ProgType.SK_LOOKUP: _sk_lookup,
    ProgType.SK_REUSEPORT: _sk_reuseport,
    ProgType.FLOW_DISSECTOR: _flow_dissector,
    ProgType.CGROUP_SYSCTL: _sysctl,
    ProgType.CGROUP_DEVICE: _cgroup_dev,
}

#: The program types whose context this module models.
SOCK_CTX_TYPES = frozenset(_RULES)


def sock_ctx_access(prog_type: ProgType, attach: AttachType | None, off: int, size: int,
                    write: bool) -> Reg:
    """What a load of ``size`` bytes at ``ctx + off`` gives (a scalar or a typed pointer),
    or the kernel's refusal (:class:`Reject`) for an access its rules do not allow.

    >>> sock_ctx_access(ProgType.CGROUP_SOCKOPT, AttachType.CGROUP_SETSOCKOPT, 36, 4, True)
    Traceback (most recent call last):
    ...
    kfunclab.verifier.env.Reject: invalid bpf_context access off=36 size=4
    """
    try:
        return _RULES[prog_type](attach, off, size, write)
    except _Refused:
        raise Reject(msg.INVALID_CTX_ACCESS.format(off=off, size=size)) from None
