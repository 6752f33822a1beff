"""Which helpers each map type may be passed to, and the other way round.

``check_map_func_compatibility()`` of Linux 6.18 (kernel/bpf/verifier.c) runs after a helper's
arguments are checked: first the map's type names the helpers it works with (a
``sk_storage`` map goes to ``bpf_sk_storage_get``/``_delete`` only, so a
``bpf_map_lookup_elem`` on it is refused), then the helper names the map types it takes
(``bpf_get_local_storage`` takes only cgroup storage). Either refusal prints
``cannot pass map_type %d into func %s#%d``. Map types without a first rule (hash, array, LRU,
LPM trie ...) go to any helper that takes a map.

This module also holds ``bpf_get_local_storage()``, whose map side is the cgroup storage map.

>>> funcs_for_map("sk_storage")
frozenset({'kptr_xchg', 'sk_storage_delete', 'sk_storage_get'})
"""

from __future__ import annotations

from kfunclab.isa.helpers import HELPER_IDS, MAP_TYPES
from kfunclab.isa.insn import Call
from kfunclab.progtypes import AttachType, ProgType
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Env, Reject
from kfunclab.verifier.references import acquire_reference
from kfunclab.verifier.regs import Reg, RegType, TypeFlag, reg_type_str
from kfunclab.verifier.rules.helper_args import clobber_caller_saved
from kfunclab.verifier.state import VState

_SOCKMAP_COMMON = ("sk_select_reuseport", "map_lookup_elem")
#: the helpers each map type may be passed to (the first switch); absent: any
_FUNCS_FOR_MAP: dict[str, tuple[str, ...]] = {
    "prog_array": ("tail_call",),
    "perf_event_array": ("perf_event_read", "perf_event_output", "skb_output",
                         "perf_event_read_value", "xdp_output"),
    "ringbuf": ("ringbuf_output", "ringbuf_reserve", "ringbuf_query", "ringbuf_reserve_dynptr",
                "ringbuf_submit_dynptr", "ringbuf_discard_dynptr"),
    "user_ringbuf": ("user_ringbuf_drain",),
    "stack_trace": ("get_stackid",),
    "cgroup_array": ("skb_under_cgroup", "current_task_under_cgroup"),
    "cgroup_storage": ("get_local_storage",),
    "percpu_cgroup_storage": ("get_local_storage",),
    "devmap": ("redirect_map", "map_lookup_elem"),
    "devmap_hash": ("redirect_map", "map_lookup_elem"),
    "cpumap": ("redirect_map",),
    "xskmap": ("redirect_map", "map_lookup_elem"),
    "array_of_maps": ("map_lookup_elem",),
    "hash_of_maps": ("map_lookup_elem",),
    "sockmap": ("sk_redirect_map", "sock_map_update", "msg_redirect_map", *_SOCKMAP_COMMON),
    "sockhash": ("sk_redirect_hash", "sock_hash_update", "msg_redirect_hash", *_SOCKMAP_COMMON),
    "reuseport_sockarray": ("sk_select_reuseport",),
    "queue": ("map_peek_elem", "map_pop_elem", "map_push_elem"),
    "stack": ("map_peek_elem", "map_pop_elem", "map_push_elem"),
    "sk_storage": ("sk_storage_get", "sk_storage_delete", "kptr_xchg"),
    "inode_storage": ("inode_storage_get", "inode_storage_delete"),
    "task_storage": ("task_storage_get", "task_storage_delete"),
    "cgrp_storage": ("cgrp_storage_get", "cgrp_storage_delete"),
    "bloom_filter": ("map_peek_elem", "map_push_elem"),
}
#: the map types each helper takes (the second switch); absent: any
_MAPS_FOR_FUNC: dict[str, tuple[str, ...]] = {
    "tail_call": ("prog_array",),
    "perf_event_read": ("perf_event_array",),
    "perf_event_output": ("perf_event_array",),
    "perf_event_read_value": ("perf_event_array",),
    "skb_output": ("perf_event_array",),
    "xdp_output": ("perf_event_array",),
    "ringbuf_output": ("ringbuf",),
    "ringbuf_reserve": ("ringbuf",),
    "ringbuf_query": ("ringbuf",),
    "ringbuf_reserve_dynptr": ("ringbuf",),
    "user_ringbuf_drain": ("user_ringbuf",),
    "get_stackid": ("stack_trace",),
    "current_task_under_cgroup": ("cgroup_array",),
    "skb_under_cgroup": ("cgroup_array",),
    "redirect_map": ("devmap", "devmap_hash", "cpumap", "xskmap"),
    "sk_redirect_map": ("sockmap",),
    "msg_redirect_map": ("sockmap",),
    "sock_map_update": ("sockmap",),
    "sk_redirect_hash": ("sockhash",),
    "msg_redirect_hash": ("sockhash",),
    "sock_hash_update": ("sockhash",),
    "get_local_storage": ("cgroup_storage", "percpu_cgroup_storage"),
    "sk_select_reuseport": ("reuseport_sockarray", "sockmap", "sockhash"),
    "map_pop_elem": ("queue", "stack"),
    "map_peek_elem": ("queue", "stack", "bloom_filter"),
    "map_push_elem": ("queue", "stack", "bloom_filter"),
    "map_lookup_percpu_elem": ("percpu_array", "percpu_hash", "lru_percpu_hash"),
    "sk_storage_get": ("sk_storage",),
    "sk_storage_delete": ("sk_storage",),
    "inode_storage_get": ("inode_storage",),
    "inode_storage_delete": ("inode_storage",),
    "task_storage_get": ("task_storage",),
    "task_storage_delete": ("task_storage",),
    "cgrp_storage_get": ("cgrp_storage",),
    "cgrp_storage_delete": ("cgrp_storage",),
}
#: may_update_sockmap(): program types that may update and delete sockmap/sockhash entries
_SOCKMAP_WRITERS = frozenset({ProgType.SOCKET_FILTER, ProgType.SCHED_CLS, ProgType.SCHED_ACT,
                              ProgType.XDP, ProgType.SK_REUSEPORT, ProgType.FLOW_DISSECTOR,
                              ProgType.SK_LOOKUP})


def funcs_for_map(map_type: str) -> frozenset[str] | None:
    """The helpers (without ``bpf_``) a map of ``map_type`` may be passed to; None: any."""
    funcs = _FUNCS_FOR_MAP.get(map_type)
    return frozenset(funcs) if funcs is not None else None


def _may_update_sockmap(env: Env, func: str) -> bool:
    """``may_update_sockmap()``: map_update_elem / map_delete_elem where no socket is locked."""
    if func not in ("map_update_elem", "map_delete_elem"):
        return False
    pt = env.prog_type
    if pt.prog_type is ProgType.TRACING:
        return pt.expected_attach_type is AttachType.TRACE_ITER
    if pt.prog_type is ProgType.SOCK_OPS:
        return func == "map_delete_elem"
    return pt.prog_type in _SOCKMAP_WRITERS


def map_func_compatible(env: Env, map_type: str, func: str) -> bool:
    """Whether ``check_map_func_compatibility()`` lets a ``map_type`` map go to ``func``."""
    allowed = _FUNCS_FOR_MAP.get(map_type)
    sockmap_write = map_type in ("sockmap", "sockhash") and _may_update_sockmap(env, func)
    if allowed is not None and func not in allowed and not sockmap_write:
        return False
    takes = _MAPS_FOR_FUNC.get(func)
    return takes is None or map_type in takes


def check_map_func_compatibility(env: Env, map_type: str, func: str) -> None:
    """Refuse as the kernel does a map of ``map_type`` passed to helper ``func`` (no ``bpf_``).

    >>> from types import SimpleNamespace
    >>> env = SimpleNamespace(prog_type=SimpleNamespace(prog_type=ProgType.SCHED_CLS))
    >>> check_map_func_compatibility(env, "sk_storage", "map_lookup_elem")
    Traceback (most recent call last):
    ...
    kfunclab.verifier.env.Reject: cannot pass map_type 24 into func bpf_map_lookup_elem#1
    """
    if not map_func_compatible(env, map_type, func):
        raise Reject(msg.MAP_TYPE_FOR_FUNC.format(
            map_type=MAP_TYPES.get(map_type, map_type),
            func=f"bpf_{func}#{HELPER_IDS.get('bpf_' + func, 0)}"), errno=22)


def h_get_local_storage(env: Env, state: VState, idx: int, insn: Call) -> None:
    """``bpf_get_local_storage(map, flags)``: the cgroup's storage in ``map``, never NULL.

    The map must be a (per-cpu) cgroup storage map and the flags a known zero; R0 points to the
    map's value (``RET_PTR_TO_MAP_VALUE``)."""
    reg = state.regs[1]
    if reg.type is RegType.NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=1))
    if reg.type is not RegType.CONST_PTR_TO_MAP:
        raise Reject(msg.ARG_TYPE_MISMATCH.format(regno=1, type=reg_type_str(reg.type, reg.flags),
                                                  expected="map_ptr"))
    flags = state.regs[2]
    if flags.type is RegType.NOT_INIT:
        raise Reject(msg.REG_NOT_READ_OK.format(regno=2))
    check_map_func_compatibility(env, reg.map.map_type, "get_local_storage")
    if not flags.is_null:  # check_helper_call(): the helper cannot return an error
        raise Reject("get_local_storage() doesn't support non-zero flags", errno=22)
    clobber_caller_saved(state)
    state.regs[0] = Reg(RegType.PTR_TO_MAP_VALUE, map=reg.map)


#: maps whose bpf_map_lookup_elem() gives a socket once NULL-checked (mark_ptr_not_null_reg())
SOCKET_MAPS = ("sockmap", "sockhash", "xskmap")
def socket_lookup(env: Env, state: VState, m: object, idx: int) -> None:
    """``bpf_map_lookup_elem()`` on a sockmap, sockhash or xskmap: R0 is ``map_value_or_null``
    until NULL-checked, then a socket (``sock``, ``xdp_sock``); a sockmap or sockhash lookup
    takes a reference on the socket (``is_acquire_function()``), released by bpf_sk_release."""
    clobber_caller_saved(state)
    ref = 0
    if m.map_type != "xskmap":  # type: ignore[attr-defined]
        ref = acquire_reference(env, state, idx, "bpf_map_lookup_elem")
    # The running 6.18 kernel types R0 as the socket already (its log prints
    # "R0=xdp_sock_or_null(id=1)", "sock_or_null(id=2,ref_obj_id=2)", no map=): the NULL check
    # then only drops PTR_MAYBE_NULL, as mark_ptr_not_null_reg() makes of a map value.
    sock = RegType.PTR_TO_XDP_SOCK if m.map_type == "xskmap" else RegType.PTR_TO_SOCKET  # type: ignore[attr-defined]
    state.regs[0] = Reg(sock, flags=TypeFlag.MAYBE_NULL, id=ref or env.new_id(),
                        ref_obj_id=ref)
