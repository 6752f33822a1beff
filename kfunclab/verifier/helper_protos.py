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

from kfunclab.progtypes import ProgType

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


HELPER_PROTOS: dict[str, HelperProto] = {
    "skb_load_bytes": HelperProto(("ctx", "any", "mem_uninit", "size"), _SKB_READERS),
    "skb_store_bytes": HelperProto(("ctx", "any", "mem", "size", "any"),
                                   _TC | {P.LWT_XMIT, P.SK_SKB}, changes_pkt_data=True),
    "skb_pull_data": HelperProto(("ctx", "any"), _TC | {P.LWT_XMIT, P.SK_SKB},
                                 changes_pkt_data=True),
    "csum_diff": HelperProto(("mem_or_null", "size0", "mem_or_null", "size0", "any"),
                             _TC | {P.LWT_IN, P.LWT_OUT, P.LWT_XMIT}),
    "csum_update": HelperProto(("ctx", "any"), _TC),
    "xdp_adjust_head": HelperProto(("ctx", "any"), frozenset({P.XDP}), changes_pkt_data=True),
    "xdp_adjust_meta": HelperProto(("ctx", "any"), frozenset({P.XDP}), changes_pkt_data=True),
    "xdp_adjust_tail": HelperProto(("ctx", "any"), frozenset({P.XDP}), changes_pkt_data=True),
    "probe_read_user": HelperProto(("mem_uninit", "size0", "any"), _TRACING, gpl_only=True),
    "probe_read_user_str": HelperProto(("mem_uninit", "size0", "any"), _TRACING,
                                       gpl_only=True),
    "copy_from_user": HelperProto(("mem_uninit", "size0", "any"), _TRACING,
                                  sleepable_only=True, gpl_only=True),
    "get_numa_node_id": HelperProto((), _TC | _TRACING | {P.XDP, P.SOCKET_FILTER}),
}
del P
