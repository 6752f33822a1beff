"""Context access of the ``struct __sk_buff`` program types (net/core/filter.c of Linux 6.18).

``bpf_skb_is_valid_access()`` holds the rules common to every program whose context is an
``__sk_buff`` (sizes, narrow loads, the padding, ``sk``, ``tstamp`` ...); each program type
first refuses the fields it may not see and says which it may write and which load packet
pointers: ``sk_filter_is_valid_access()`` (socket filters), ``tc_cls_act_is_valid_access()``
(tc), ``cg_skb_is_valid_access()`` (cgroup/skb), ``lwt_is_valid_access()`` (lwt_*) and
``sk_skb_is_valid_access()`` (sk_skb).

>>> from kfunclab.progtypes import ProgType
>>> skb_ctx_access(ProgType.SCHED_CLS, 76, 4, False).type.name
'PTR_TO_PACKET'
"""

from __future__ import annotations

from kfunclab.progtypes import ProgType
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Reject
from kfunclab.verifier.regs import UNKNOWN_SCALAR, Reg, RegType, TypeFlag

P = ProgType

# struct __sk_buff (UAPI): (start, end) byte ranges of the fields the rules name
SKB_SIZE = 192
_MARK, _QUEUE_MAPPING, _PRIORITY, _TC_INDEX = (8, 12), (12, 16), (32, 36), (44, 48)
_CB = (48, 68)
_TC_CLASSID, _DATA, _DATA_END = (72, 76), (76, 80), (80, 84)
_FAMILY_TO_LOCAL_PORT = (88, 140)
_IP_ADDRS = ((92, 100), (100, 132))  # remote_ip4, local_ip4; remote_ip6[4], local_ip6[4]
_DATA_META, _FLOW_KEYS, _TSTAMP, _WIRE_LEN = (140, 144), (144, 152), (152, 160), (160, 164)
_SK, _TSTAMP_TYPE, _PADDING, _HWTSTAMP = (168, 176), (180, 181), (181, 184), (184, 192)

_LWT = frozenset({P.LWT_IN, P.LWT_OUT, P.LWT_XMIT, P.LWT_SEG6LOCAL})
#: the program types whose context is a struct __sk_buff and whose rules live here
SKB_TYPES = frozenset({P.SOCKET_FILTER, P.SCHED_CLS, P.SCHED_ACT, P.CGROUP_SKB, P.SK_SKB}) | _LWT

#: fields each program type may not touch at all
_HIDDEN = {
    P.SOCKET_FILTER: (_TC_CLASSID, _DATA, _DATA_META, _DATA_END, _FAMILY_TO_LOCAL_PORT, _TSTAMP,
                      _WIRE_LEN, _HWTSTAMP),
    P.CGROUP_SKB: (_TC_CLASSID, _DATA_META, _WIRE_LEN),
    P.SK_SKB: (_TC_CLASSID, _DATA_META, _TSTAMP, _WIRE_LEN, _HWTSTAMP, _MARK),
    P.SCHED_CLS: (_FAMILY_TO_LOCAL_PORT,),
    P.SCHED_ACT: (_FAMILY_TO_LOCAL_PORT,),
}
for _t in _LWT:
    _HIDDEN[_t] = (_TC_CLASSID, _FAMILY_TO_LOCAL_PORT, _DATA_META, _TSTAMP, _WIRE_LEN,
                   _HWTSTAMP)
#: fields each program type may write
_WRITABLE = {
    P.SOCKET_FILTER: (_CB,),
    P.CGROUP_SKB: (_MARK, _PRIORITY, _CB, _TSTAMP),  # tstamp: with CAP_SYS_ADMIN
    P.SK_SKB: (_TC_INDEX, _PRIORITY),
    P.SCHED_CLS: (_MARK, _TC_INDEX, _PRIORITY, _TC_CLASSID, _CB, _TSTAMP, _QUEUE_MAPPING),
}
_WRITABLE[P.SCHED_ACT] = _WRITABLE[P.SCHED_CLS]
for _t in _LWT:
    _WRITABLE[_t] = (_MARK, _PRIORITY, _CB)
del _t


def _in(off: int, field: tuple[int, int]) -> bool:
    return field[0] <= off < field[1]


def _refuse(off: int, size: int) -> Reject:
    return Reject(msg.INVALID_CTX_ACCESS.format(off=off, size=size))


def skb_ctx_access(pt: ProgType, off: int, size: int, write: bool, cap_bpf: bool = True,
                   cap_sys_admin: bool = True) -> Reg:
    """What a load of ``size`` bytes at ``ctx + off`` of a ``__sk_buff`` gives, or the
    kernel's refusal; ``cap_bpf`` / ``cap_sys_admin``: the loader's capabilities (cgroup/skb
    sees packet data with CAP_BPF and writes ``tstamp`` with CAP_SYS_ADMIN)."""
    if any(_in(off, f) for f in _HIDDEN.get(pt, ())):
        raise _refuse(off, size)
    if pt is P.CGROUP_SKB and not cap_bpf and (_in(off, _DATA) or _in(off, _DATA_END)):
        raise _refuse(off, size)
    if write and not any(_in(off, f) for f in _WRITABLE[pt]):
        raise _refuse(off, size)
    if write and pt is P.CGROUP_SKB and _in(off, _TSTAMP) and not cap_sys_admin:
        raise _refuse(off, size)
    if pt in (P.SCHED_CLS, P.SCHED_ACT) and off == _TSTAMP_TYPE[0] and size == 1 and not write:
        return UNKNOWN_SCALAR  # tc reads the u8 tstamp_type (tc_cls_act_is_valid_access())
    if not _common(off, size, write):
        raise _refuse(off, size)
    if _in(off, _SK):
        return Reg(RegType.PTR_TO_SOCK_COMMON, flags=TypeFlag.MAYBE_NULL)
    if _in(off, _DATA):
        return Reg(RegType.PTR_TO_PACKET)
    if _in(off, _DATA_END):
        return Reg(RegType.PTR_TO_PACKET_END)
    if _in(off, _DATA_META):
        return Reg(RegType.PTR_TO_PACKET_META)
    return UNKNOWN_SCALAR


def _common(off: int, size: int, write: bool) -> bool:
    """``bpf_skb_is_valid_access()``."""
    if off < 0 or off >= SKB_SIZE or off % size:
        return False
    if _in(off, _CB):
        return off + size <= _CB[1]
    if _in(off, _DATA) or _in(off, _DATA_META) or _in(off, _DATA_END):
        return size == 4
    if any(_in(off, f) for f in _IP_ADDRS):
        return size == 4
    if _in(off, _FLOW_KEYS) or _in(off, _TSTAMP_TYPE) or _in(off, _PADDING):
        return False
    if _in(off, _HWTSTAMP):
        return not write and size == 8
    if _in(off, _TSTAMP):
        return size == 8
    if _in(off, _SK):
        return not write and size == 8
    if write:
        return size == 4
    return size <= 4 and size & (size - 1) == 0  # bpf_ctx_narrow_access_ok()
