"""kfunc hooks and BPF program type names.

The kernel keeps one table of registered kfuncs per *hook* (``enum btf_kfunc_hook`` in
``kernel/bpf/btf.c``); a program type reaches its hook through ``bpf_prog_type_to_kfunc_hook()``,
which is kernel-specific data and therefore lives in :class:`~kfunclab.kfuncs.profiles.Profile`.

>>> canonical_prog_type("tracing")
'BPF_PROG_TYPE_TRACING'
>>> Hook.TC.kernel_name
'BTF_KFUNC_HOOK_TC'
"""

from __future__ import annotations

from enum import Enum

from kfunclab.errors import DeclarationError


class Hook(Enum):
    """``enum btf_kfunc_hook`` (6.18 order). MAX means "no hook": nothing can be found there."""

    COMMON = "COMMON"
    XDP = "XDP"
    TC = "TC"
    STRUCT_OPS = "STRUCT_OPS"
    TRACING = "TRACING"
    SYSCALL = "SYSCALL"
    FMODRET = "FMODRET"  # register_btf_fmodret_id_set(): attach targets, never callable
    CGROUP = "CGROUP"
    SCHED_ACT = "SCHED_ACT"
    SK_SKB = "SK_SKB"
    SOCKET_FILTER = "SOCKET_FILTER"
    LWT = "LWT"
    NETFILTER = "NETFILTER"
    KPROBE = "KPROBE"
    MAX = "MAX"

    @property
    def kernel_name(self) -> str:
        return f"BTF_KFUNC_HOOK_{self.value}"


#: enum bpf_prog_type of include/uapi/linux/bpf.h, in order.
PROG_TYPES: tuple[str, ...] = tuple(f"BPF_PROG_TYPE_{n}" for n in (
    "UNSPEC", "SOCKET_FILTER", "KPROBE", "SCHED_CLS", "SCHED_ACT", "TRACEPOINT", "XDP",
    "PERF_EVENT", "CGROUP_SKB", "CGROUP_SOCK", "LWT_IN", "LWT_OUT", "LWT_XMIT", "SOCK_OPS",
    "SK_SKB", "CGROUP_DEVICE", "SK_MSG", "RAW_TRACEPOINT", "CGROUP_SOCK_ADDR", "LWT_SEG6LOCAL",
    "LIRC_MODE2", "SK_REUSEPORT", "FLOW_DISSECTOR", "CGROUP_SYSCTL", "RAW_TRACEPOINT_WRITABLE",
    "CGROUP_SOCKOPT", "TRACING", "STRUCT_OPS", "EXT", "LSM", "SK_LOOKUP", "SYSCALL", "NETFILTER",
))


def canonical_prog_type(name: str, where: str = "program type") -> str:
    """``BPF_PROG_TYPE_TRACING`` for "BPF_PROG_TYPE_TRACING", "TRACING" or "tracing".

    Raises DeclarationError naming ``where`` for a name that is no program type.
    """
    if not isinstance(name, str):
        raise DeclarationError(where, f"program type is {type(name).__name__}; expected a "
                                      "string such as BPF_PROG_TYPE_XDP")
    text = name.strip()
    upper = text.upper()
    full = upper if upper.startswith("BPF_PROG_TYPE_") else f"BPF_PROG_TYPE_{upper}"
    if full in PROG_TYPES:
        return full
    short = ", ".join(t.removeprefix("BPF_PROG_TYPE_") for t in PROG_TYPES)
    raise DeclarationError(where, f"unknown program type '{name}'; expected BPF_PROG_TYPE_X "
                                  f"or X with X one of {short}")
