"""libbpf ``SEC()`` names -> program type, expected attach type, attach target, sleepable, context.

:data:`SECTION_DEFS` is libbpf's ``section_defs`` table (src/libbpf.c, libbpf 1.5/1.6, the one
matching Linux 6.18) as data, in libbpf's order; :func:`program_type` resolves a section name the
way libbpf's ``find_sec_def()`` does: the first entry that matches wins, where ``name`` must match
exactly, ``name+`` matches ``name`` or ``name/<anything>``, and ``name/`` needs the slash. The
enum values are Linux 6.18's ``enum bpf_prog_type`` / ``enum bpf_attach_type``.

This module knows no BTF: the types of tracepoint and fentry arguments come from
:func:`kfunclab.btf.tracepoint_args` / :func:`kfunclab.btf.func_args`.

>>> pt = program_type("tp_btf/task_newtask")
>>> pt.prog_type.kernel_name, pt.expected_attach_type.kernel_name, pt.attach_target
('BPF_PROG_TYPE_TRACING', 'BPF_TRACE_RAW_TP', 'task_newtask')
>>> program_type("syscall").sleepable, program_type("xdp").context.ctype.spelling()
(True, 'struct xdp_md')
"""

from __future__ import annotations

import errno
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import Flag, IntEnum, auto

from kfunclab.ctype import VOID, CType, integer, ptr_to, struct
from kfunclab.errors import SectionError


class ProgType(IntEnum):
    """``enum bpf_prog_type`` (Linux 6.18)."""

    UNSPEC = 0
    SOCKET_FILTER = 1
    KPROBE = 2
    SCHED_CLS = 3
    SCHED_ACT = 4
    TRACEPOINT = 5
    XDP = 6
    PERF_EVENT = 7
    CGROUP_SKB = 8
    CGROUP_SOCK = 9
    LWT_IN = 10
    LWT_OUT = 11
    LWT_XMIT = 12
    SOCK_OPS = 13
    SK_SKB = 14
    CGROUP_DEVICE = 15
    SK_MSG = 16
    RAW_TRACEPOINT = 17
    CGROUP_SOCK_ADDR = 18
    LWT_SEG6LOCAL = 19
    LIRC_MODE2 = 20
    SK_REUSEPORT = 21
    FLOW_DISSECTOR = 22
    CGROUP_SYSCTL = 23
    RAW_TRACEPOINT_WRITABLE = 24
    CGROUP_SOCKOPT = 25
    TRACING = 26
    STRUCT_OPS = 27
    EXT = 28
    LSM = 29
    SK_LOOKUP = 30
    SYSCALL = 31
    NETFILTER = 32

    @property
    def kernel_name(self) -> str:
        return f"BPF_PROG_TYPE_{self.name}"


class AttachType(IntEnum):
    """``enum bpf_attach_type`` (Linux 6.18)."""

    CGROUP_INET_INGRESS = 0
    CGROUP_INET_EGRESS = 1
    CGROUP_INET_SOCK_CREATE = 2
    CGROUP_SOCK_OPS = 3
    SK_SKB_STREAM_PARSER = 4
    SK_SKB_STREAM_VERDICT = 5
    CGROUP_DEVICE = 6
    SK_MSG_VERDICT = 7
    CGROUP_INET4_BIND = 8
    CGROUP_INET6_BIND = 9
    CGROUP_INET4_CONNECT = 10
    CGROUP_INET6_CONNECT = 11
    CGROUP_INET4_POST_BIND = 12
    CGROUP_INET6_POST_BIND = 13
    CGROUP_UDP4_SENDMSG = 14
    CGROUP_UDP6_SENDMSG = 15
    LIRC_MODE2 = 16
    FLOW_DISSECTOR = 17
    CGROUP_SYSCTL = 18
    CGROUP_UDP4_RECVMSG = 19
    CGROUP_UDP6_RECVMSG = 20
    CGROUP_GETSOCKOPT = 21
    CGROUP_SETSOCKOPT = 22
    TRACE_RAW_TP = 23
    TRACE_FENTRY = 24
    TRACE_FEXIT = 25
    MODIFY_RETURN = 26
    LSM_MAC = 27
    TRACE_ITER = 28
    CGROUP_INET4_GETPEERNAME = 29
    CGROUP_INET6_GETPEERNAME = 30
    CGROUP_INET4_GETSOCKNAME = 31
    CGROUP_INET6_GETSOCKNAME = 32
    XDP_DEVMAP = 33
    CGROUP_INET_SOCK_RELEASE = 34
    XDP_CPUMAP = 35
    SK_LOOKUP = 36
    XDP = 37
    SK_SKB_VERDICT = 38
    SK_REUSEPORT_SELECT = 39
    SK_REUSEPORT_SELECT_OR_MIGRATE = 40
    PERF_EVENT = 41
    TRACE_KPROBE_MULTI = 42
    LSM_CGROUP = 43
    STRUCT_OPS = 44
    NETFILTER = 45
    TCX_INGRESS = 46
    TCX_EGRESS = 47
    TRACE_UPROBE_MULTI = 48
    CGROUP_UNIX_CONNECT = 49
    CGROUP_UNIX_SENDMSG = 50
    CGROUP_UNIX_RECVMSG = 51
    CGROUP_UNIX_GETPEERNAME = 52
    CGROUP_UNIX_GETSOCKNAME = 53
    NETKIT_PRIMARY = 54
    NETKIT_PEER = 55
    TRACE_KPROBE_SESSION = 56
    TRACE_UPROBE_SESSION = 57

    @property
    def kernel_name(self) -> str:
        return f"BPF_{self.name}"


class SecFlag(Flag):
    """libbpf's ``SEC_*`` cookie bits."""

    NONE = 0
    ATTACHABLE = auto()  # expected_attach_type is required
    ATTACHABLE_OPT = auto()  # expected_attach_type is optional (dropped on old kernels)
    ATTACH_BTF = auto()  # attach_btf_id from the part after the slash is required
    SLEEPABLE = auto()  # BPF_F_SLEEPABLE
    XDP_FRAGS = auto()  # BPF_F_XDP_HAS_FRAGS (also attachable-optional)
    USDT = auto()


@dataclass(frozen=True, slots=True)
class SectionDef:
    """One row of libbpf's table: ``pattern`` as libbpf writes it (``tp_btf+``, ``socket``)."""

    pattern: str
    prog_type: ProgType
    attach_type: AttachType | None
    flags: SecFlag = SecFlag.NONE

    def matches(self, sec: str) -> bool:
        """libbpf's ``sec_def_matches()``."""
        if self.pattern.endswith("/"):
            return sec.startswith(self.pattern)
        if self.pattern.endswith("+"):
            base = self.pattern[:-1]
            return sec == base or sec.startswith(base + "/")
        return sec == self.pattern

    @property
    def base(self) -> str:
        return self.pattern.rstrip("+")


def _d(pattern: str, prog_type: ProgType, attach: AttachType | None = None,
       flags: SecFlag = SecFlag.NONE) -> SectionDef:
    return SectionDef(pattern, prog_type, attach, flags)


P, A, F = ProgType, AttachType, SecFlag
SECTION_DEFS: tuple[SectionDef, ...] = (
    _d("socket", P.SOCKET_FILTER),
    _d("sk_reuseport/migrate", P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT_OR_MIGRATE, F.ATTACHABLE),
    _d("sk_reuseport", P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT, F.ATTACHABLE),
    _d("kprobe+", P.KPROBE),
    _d("uprobe+", P.KPROBE),
    _d("uprobe.s+", P.KPROBE, None, F.SLEEPABLE),
    _d("kretprobe+", P.KPROBE),
    _d("uretprobe+", P.KPROBE),
    _d("uretprobe.s+", P.KPROBE, None, F.SLEEPABLE),
    _d("kprobe.multi+", P.KPROBE, A.TRACE_KPROBE_MULTI),
    _d("kretprobe.multi+", P.KPROBE, A.TRACE_KPROBE_MULTI),
    _d("kprobe.session+", P.KPROBE, A.TRACE_KPROBE_SESSION),
    _d("uprobe.multi+", P.KPROBE, A.TRACE_UPROBE_MULTI),
    _d("uretprobe.multi+", P.KPROBE, A.TRACE_UPROBE_MULTI),
    _d("uprobe.session+", P.KPROBE, A.TRACE_UPROBE_SESSION),
    _d("uprobe.multi.s+", P.KPROBE, A.TRACE_UPROBE_MULTI, F.SLEEPABLE),
    _d("uretprobe.multi.s+", P.KPROBE, A.TRACE_UPROBE_MULTI, F.SLEEPABLE),
    _d("uprobe.session.s+", P.KPROBE, A.TRACE_UPROBE_SESSION, F.SLEEPABLE),
    _d("ksyscall+", P.KPROBE),
    _d("kretsyscall+", P.KPROBE),
    _d("usdt+", P.KPROBE, None, F.USDT),
    _d("usdt.s+", P.KPROBE, None, F.USDT | F.SLEEPABLE),
    _d("tc/ingress", P.SCHED_CLS, A.TCX_INGRESS),  # alias for tcx
    _d("tc/egress", P.SCHED_CLS, A.TCX_EGRESS),  # alias for tcx
    _d("tcx/ingress", P.SCHED_CLS, A.TCX_INGRESS),
    _d("tcx/egress", P.SCHED_CLS, A.TCX_EGRESS),
    _d("tc", P.SCHED_CLS),  # legacy
    _d("classifier", P.SCHED_CLS),  # legacy
    _d("action", P.SCHED_ACT),  # legacy
    _d("netkit/primary", P.SCHED_CLS, A.NETKIT_PRIMARY),
    _d("netkit/peer", P.SCHED_CLS, A.NETKIT_PEER),
    _d("tracepoint+", P.TRACEPOINT),
    _d("tp+", P.TRACEPOINT),
    _d("raw_tracepoint+", P.RAW_TRACEPOINT),
    _d("raw_tp+", P.RAW_TRACEPOINT),
    _d("raw_tracepoint.w+", P.RAW_TRACEPOINT_WRITABLE),
    _d("raw_tp.w+", P.RAW_TRACEPOINT_WRITABLE),
    _d("tp_btf+", P.TRACING, A.TRACE_RAW_TP, F.ATTACH_BTF),
    _d("fentry+", P.TRACING, A.TRACE_FENTRY, F.ATTACH_BTF),
    _d("fmod_ret+", P.TRACING, A.MODIFY_RETURN, F.ATTACH_BTF),
    _d("fexit+", P.TRACING, A.TRACE_FEXIT, F.ATTACH_BTF),
    _d("fentry.s+", P.TRACING, A.TRACE_FENTRY, F.ATTACH_BTF | F.SLEEPABLE),
    _d("fmod_ret.s+", P.TRACING, A.MODIFY_RETURN, F.ATTACH_BTF | F.SLEEPABLE),
    _d("fexit.s+", P.TRACING, A.TRACE_FEXIT, F.ATTACH_BTF | F.SLEEPABLE),
    _d("freplace+", P.EXT, None, F.ATTACH_BTF),
    _d("lsm+", P.LSM, A.LSM_MAC, F.ATTACH_BTF),
    _d("lsm.s+", P.LSM, A.LSM_MAC, F.ATTACH_BTF | F.SLEEPABLE),
    _d("lsm_cgroup+", P.LSM, A.LSM_CGROUP, F.ATTACH_BTF),
    _d("iter+", P.TRACING, A.TRACE_ITER, F.ATTACH_BTF),
    _d("iter.s+", P.TRACING, A.TRACE_ITER, F.ATTACH_BTF | F.SLEEPABLE),
    _d("syscall", P.SYSCALL, None, F.SLEEPABLE),
    _d("xdp.frags/devmap", P.XDP, A.XDP_DEVMAP, F.XDP_FRAGS),
    _d("xdp/devmap", P.XDP, A.XDP_DEVMAP, F.ATTACHABLE),
    _d("xdp.frags/cpumap", P.XDP, A.XDP_CPUMAP, F.XDP_FRAGS),
    _d("xdp/cpumap", P.XDP, A.XDP_CPUMAP, F.ATTACHABLE),
    _d("xdp.frags", P.XDP, A.XDP, F.XDP_FRAGS),
    _d("xdp", P.XDP, A.XDP, F.ATTACHABLE_OPT),
    _d("perf_event", P.PERF_EVENT),
    _d("lwt_in", P.LWT_IN),
    _d("lwt_out", P.LWT_OUT),
    _d("lwt_xmit", P.LWT_XMIT),
    _d("lwt_seg6local", P.LWT_SEG6LOCAL),
    _d("sockops", P.SOCK_OPS, A.CGROUP_SOCK_OPS, F.ATTACHABLE_OPT),
    _d("sk_skb/stream_parser", P.SK_SKB, A.SK_SKB_STREAM_PARSER, F.ATTACHABLE_OPT),
    _d("sk_skb/stream_verdict", P.SK_SKB, A.SK_SKB_STREAM_VERDICT, F.ATTACHABLE_OPT),
    _d("sk_skb", P.SK_SKB),
    _d("sk_msg", P.SK_MSG, A.SK_MSG_VERDICT, F.ATTACHABLE_OPT),
    _d("lirc_mode2", P.LIRC_MODE2, A.LIRC_MODE2, F.ATTACHABLE_OPT),
    _d("flow_dissector", P.FLOW_DISSECTOR, A.FLOW_DISSECTOR, F.ATTACHABLE_OPT),
    _d("cgroup_skb/ingress", P.CGROUP_SKB, A.CGROUP_INET_INGRESS, F.ATTACHABLE_OPT),
    _d("cgroup_skb/egress", P.CGROUP_SKB, A.CGROUP_INET_EGRESS, F.ATTACHABLE_OPT),
    _d("cgroup/skb", P.CGROUP_SKB),
    _d("cgroup/sock_create", P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE, F.ATTACHABLE),
    _d("cgroup/sock_release", P.CGROUP_SOCK, A.CGROUP_INET_SOCK_RELEASE, F.ATTACHABLE),
    _d("cgroup/sock", P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE, F.ATTACHABLE_OPT),
    _d("cgroup/post_bind4", P.CGROUP_SOCK, A.CGROUP_INET4_POST_BIND, F.ATTACHABLE),
    _d("cgroup/post_bind6", P.CGROUP_SOCK, A.CGROUP_INET6_POST_BIND, F.ATTACHABLE),
    _d("cgroup/bind4", P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_BIND, F.ATTACHABLE),
    _d("cgroup/bind6", P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_BIND, F.ATTACHABLE),
    _d("cgroup/connect4", P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_CONNECT, F.ATTACHABLE),
    _d("cgroup/connect6", P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_CONNECT, F.ATTACHABLE),
    _d("cgroup/connect_unix", P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_CONNECT, F.ATTACHABLE),
    _d("cgroup/sendmsg4", P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_SENDMSG, F.ATTACHABLE),
    _d("cgroup/sendmsg6", P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_SENDMSG, F.ATTACHABLE),
    _d("cgroup/sendmsg_unix", P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_SENDMSG, F.ATTACHABLE),
    _d("cgroup/recvmsg4", P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_RECVMSG, F.ATTACHABLE),
    _d("cgroup/recvmsg6", P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_RECVMSG, F.ATTACHABLE),
    _d("cgroup/recvmsg_unix", P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_RECVMSG, F.ATTACHABLE),
    _d("cgroup/getpeername4", P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETPEERNAME, F.ATTACHABLE),
    _d("cgroup/getpeername6", P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETPEERNAME, F.ATTACHABLE),
    _d("cgroup/getpeername_unix", P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETPEERNAME, F.ATTACHABLE),
    _d("cgroup/getsockname4", P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETSOCKNAME, F.ATTACHABLE),
    _d("cgroup/getsockname6", P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETSOCKNAME, F.ATTACHABLE),
    _d("cgroup/getsockname_unix", P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETSOCKNAME, F.ATTACHABLE),
    _d("cgroup/sysctl", P.CGROUP_SYSCTL, A.CGROUP_SYSCTL, F.ATTACHABLE),
    _d("cgroup/getsockopt", P.CGROUP_SOCKOPT, A.CGROUP_GETSOCKOPT, F.ATTACHABLE),
    _d("cgroup/setsockopt", P.CGROUP_SOCKOPT, A.CGROUP_SETSOCKOPT, F.ATTACHABLE),
    _d("cgroup/dev", P.CGROUP_DEVICE, A.CGROUP_DEVICE, F.ATTACHABLE_OPT),
    _d("struct_ops+", P.STRUCT_OPS),
    _d("struct_ops.s+", P.STRUCT_OPS, None, F.SLEEPABLE),
    _d("sk_lookup", P.SK_LOOKUP, A.SK_LOOKUP, F.ATTACHABLE),
    _d("netfilter", P.NETFILTER, A.NETFILTER),
)
del P, A, F


@dataclass(frozen=True, slots=True)
class Context:
    """What R1 points at when the program starts.

    ``ctype`` is the program's context type (the ``*_prog`` member of the kernel's
    ``struct bpf_ctx_convert``), ``kern`` the kernel-side type ``bpf_cast_to_kern_ctx()``
    returns. ``btf_args`` marks tracing-style contexts: an array of u64 arguments the verifier
    types slot by slot from BTF (``btf_ctx_access()``), e.g. ``ctx[0]`` of ``tp_btf/task_newtask``
    is a trusted ``struct task_struct *``.
    """

    ctype: CType
    kern: CType
    btf_args: bool = False

    @property
    def r1(self) -> CType:
        """The type of R1 at entry: a pointer to :attr:`ctype`."""
        return ptr_to(self.ctype)


_SKB = Context(struct("__sk_buff"), struct("sk_buff"))
_U64_ARGS = Context(integer("u64", 8, False), integer("u64", 8, False), btf_args=True)
_VOID = Context(VOID, VOID)
CONTEXTS: dict[ProgType, Context] = {
    ProgType.SOCKET_FILTER: _SKB, ProgType.SCHED_CLS: _SKB, ProgType.SCHED_ACT: _SKB,
    ProgType.CGROUP_SKB: _SKB, ProgType.LWT_IN: _SKB, ProgType.LWT_OUT: _SKB,
    ProgType.LWT_XMIT: _SKB, ProgType.LWT_SEG6LOCAL: _SKB, ProgType.SK_SKB: _SKB,
    ProgType.XDP: Context(struct("xdp_md"), struct("xdp_buff")),
    ProgType.CGROUP_SOCK: Context(struct("bpf_sock"), struct("sock")),
    ProgType.CGROUP_SOCK_ADDR: Context(struct("bpf_sock_addr"), struct("bpf_sock_addr_kern")),
    ProgType.SOCK_OPS: Context(struct("bpf_sock_ops"), struct("bpf_sock_ops_kern")),
    ProgType.SK_MSG: Context(struct("sk_msg_md"), struct("sk_msg")),
    ProgType.FLOW_DISSECTOR: Context(struct("__sk_buff"), struct("bpf_flow_dissector")),
    # bpf_user_pt_regs_t is a typedef of struct pt_regs on x86-64
    ProgType.KPROBE: Context(struct("pt_regs"), struct("pt_regs")),
    ProgType.TRACEPOINT: Context(integer("__u64", 8, False), integer("u64", 8, False)),
    ProgType.PERF_EVENT: Context(struct("bpf_perf_event_data"),
                                 struct("bpf_perf_event_data_kern")),
    ProgType.RAW_TRACEPOINT: Context(struct("bpf_raw_tracepoint_args"),
                                     integer("u64", 8, False)),
    ProgType.RAW_TRACEPOINT_WRITABLE: Context(struct("bpf_raw_tracepoint_args"),
                                              integer("u64", 8, False)),
    ProgType.TRACING: _U64_ARGS, ProgType.LSM: _U64_ARGS, ProgType.STRUCT_OPS: _U64_ARGS,
    ProgType.EXT: _VOID, ProgType.SYSCALL: _VOID,
    ProgType.CGROUP_DEVICE: Context(struct("bpf_cgroup_dev_ctx"), struct("bpf_cgroup_dev_ctx")),
    ProgType.CGROUP_SYSCTL: Context(struct("bpf_sysctl"), struct("bpf_sysctl_kern")),
    ProgType.CGROUP_SOCKOPT: Context(struct("bpf_sockopt"), struct("bpf_sockopt_kern")),
    ProgType.SK_REUSEPORT: Context(struct("sk_reuseport_md"), struct("sk_reuseport_kern")),
    ProgType.SK_LOOKUP: Context(struct("bpf_sk_lookup"), struct("bpf_sk_lookup_kern")),
    ProgType.NETFILTER: Context(struct("bpf_nf_ctx"), struct("bpf_nf_ctx")),
    ProgType.LIRC_MODE2: Context(integer("__u32", 4, False), integer("u32", 4, False)),
}

# kernel/bpf/syscall.c: is_net_admin_prog_type() and is_perfmon_prog_type() (6.18).
NET_ADMIN_PROG_TYPES = frozenset({
    ProgType.SCHED_CLS, ProgType.SCHED_ACT, ProgType.XDP, ProgType.LWT_IN, ProgType.LWT_OUT,
    ProgType.LWT_XMIT, ProgType.LWT_SEG6LOCAL, ProgType.SK_SKB, ProgType.SK_MSG,
    ProgType.FLOW_DISSECTOR, ProgType.CGROUP_DEVICE, ProgType.CGROUP_SOCK,
    ProgType.CGROUP_SOCK_ADDR, ProgType.CGROUP_SOCKOPT, ProgType.CGROUP_SYSCTL,
    ProgType.SOCK_OPS, ProgType.EXT, ProgType.NETFILTER})
PERFMON_PROG_TYPES = frozenset({
    ProgType.KPROBE, ProgType.TRACEPOINT, ProgType.PERF_EVENT, ProgType.RAW_TRACEPOINT,
    ProgType.RAW_TRACEPOINT_WRITABLE, ProgType.TRACING, ProgType.LSM, ProgType.STRUCT_OPS,
    ProgType.EXT})
# Loadable with neither CAP_BPF nor CAP_SYS_ADMIN when kernel.unprivileged_bpf_disabled is 0.
UNPRIVILEGED_PROG_TYPES = frozenset({ProgType.SOCKET_FILTER, ProgType.CGROUP_SKB})

#: Attach types that go through a BPF trampoline. [LIVE-6.18] On the development machines
#: (6.18 in a Firecracker VM) loading any of them fails with EPERM and an empty verifier log,
#: before verification; tp_btf and iter (also BTF-attached) load fine.
TRAMPOLINE_ATTACH_TYPES = frozenset({AttachType.TRACE_FENTRY, AttachType.TRACE_FEXIT,
                                     AttachType.MODIFY_RETURN, AttachType.LSM_MAC,
                                     AttachType.LSM_CGROUP})
TRAMPOLINE_LOAD_ERRNO: int | None = errno.EPERM

# libbpf's btf_get_kernel_prefix_kind(): how an attach target is named in vmlinux BTF.
_ATTACH_BTF_NAME = {AttachType.TRACE_RAW_TP: ("btf_trace_", "TYPEDEF"),
                    AttachType.LSM_MAC: ("bpf_lsm_", "FUNC"),
                    AttachType.LSM_CGROUP: ("bpf_lsm_", "FUNC"),
                    AttachType.TRACE_ITER: ("bpf_iter_", "FUNC")}


@dataclass(frozen=True, slots=True)
class ProgramType:
    """Everything a ``SEC()`` name fixes about a program before the verifier runs."""

    section: str
    sec_def: SectionDef
    prog_type: ProgType
    expected_attach_type: AttachType | None
    attach_target: str | None
    sleepable: bool
    xdp_frags: bool
    needs_attach_btf: bool
    context: Context

    @property
    def expected_attach_type_value(self) -> int:
        """The number put in ``bpf_attr.expected_attach_type`` (0 when unspecified)."""
        return int(self.expected_attach_type) if self.expected_attach_type is not None else 0

    @property
    def prog_flags(self) -> int:
        """``BPF_F_SLEEPABLE`` (1 << 4) and ``BPF_F_XDP_HAS_FRAGS`` (1 << 5) as libbpf sets them."""
        return (16 if self.sleepable else 0) | (32 if self.xdp_frags else 0)

    @property
    def must_be_sleepable(self) -> bool:
        """6.18's check_attach_btf_id() rejects a SYSCALL program loaded without
        BPF_F_SLEEPABLE (the verifier logs that it can only be sleepable)."""
        return self.prog_type is ProgType.SYSCALL

    @property
    def uses_trampoline(self) -> bool:
        return (self.expected_attach_type in TRAMPOLINE_ATTACH_TYPES
                or self.prog_type is ProgType.EXT)

    @property
    def attach_btf_name(self) -> tuple[str, str] | None:
        """(name, BTF kind) libbpf looks up in vmlinux for ``attach_btf_id``, if any:
        ``("btf_trace_sched_switch", "TYPEDEF")``, ``("do_sys_openat2", "FUNC")`` ..."""
        if not self.needs_attach_btf or self.attach_target is None:
            return None
        if self.expected_attach_type is None:  # freplace: a FUNC of the target program
            return self.attach_target, "FUNC"
        prefix, kind = _ATTACH_BTF_NAME.get(self.expected_attach_type, ("", "FUNC"))
        return prefix + self.attach_target, kind

    def required_capabilities(self, unprivileged_bpf_disabled: bool = True
                              ) -> tuple[tuple[str, ...], ...]:
        """Capability groups ``bpf_prog_load()`` checks: one of each group is needed.

        >>> program_type("tp_btf/sched_switch").required_capabilities()
        (('CAP_BPF', 'CAP_SYS_ADMIN'), ('CAP_PERFMON', 'CAP_SYS_ADMIN'))
        """
        groups: list[tuple[str, ...]] = []
        if unprivileged_bpf_disabled or self.prog_type not in UNPRIVILEGED_PROG_TYPES:
            groups.append(("CAP_BPF", "CAP_SYS_ADMIN"))
        if self.prog_type in NET_ADMIN_PROG_TYPES:
            groups.append(("CAP_NET_ADMIN", "CAP_SYS_ADMIN"))
        if self.prog_type in PERFMON_PROG_TYPES:
            groups.append(("CAP_PERFMON", "CAP_SYS_ADMIN"))
        return tuple(groups)

    def load_refusal(self, caps_dropped: Iterable[str] = (),
                     unprivileged_bpf_disabled: bool = True) -> tuple[int, str] | None:
        """(errno, reason) when the kernel refuses to load before verifying (empty log).

        >>> program_type("perf_event").load_refusal(["cap_perfmon", "cap_sys_admin"])
        (1, 'BPF_PROG_TYPE_PERF_EVENT needs CAP_PERFMON or CAP_SYS_ADMIN to load')
        """
        dropped = {c.upper() if c.upper().startswith("CAP_") else f"CAP_{c.upper()}"
                   for c in caps_dropped}
        for group in self.required_capabilities(unprivileged_bpf_disabled):
            if all(cap in dropped for cap in group):
                return errno.EPERM, (f"{self.prog_type.kernel_name} needs {' or '.join(group)} "
                                     f"to load")
        if self.uses_trampoline and TRAMPOLINE_LOAD_ERRNO is not None:
            return TRAMPOLINE_LOAD_ERRNO, (f"{self.section}: trampoline programs are refused "
                                           f"before verification on this kernel")
        return None


def program_type(section: str) -> ProgramType:
    """Resolve a libbpf section name like libbpf does.

    Raises :class:`~kfunclab.errors.SectionError` for unknown names (with close matches) and
    for BTF-attached sections without a target (``fentry`` instead of ``fentry/<function>``).

    >>> program_type("tp_bft/task_newtask")
    Traceback (most recent call last):
    ...
    kfunclab.errors.SectionError: unknown section "tp_bft/task_newtask"; did you mean: \
tp_btf/task_newtask?
    """
    for sec_def in SECTION_DEFS:
        if sec_def.matches(section):
            return _program_type(section, sec_def)
    close = suggest_sections(section)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    raise SectionError(f"unknown section \"{section}\"{hint}")


def _program_type(section: str, sec_def: SectionDef) -> ProgramType:
    target: str | None = None
    if sec_def.pattern.endswith(("+", "/")):
        base = sec_def.pattern.rstrip("+/")
        rest = section[len(base):]
        target = rest[1:] if rest.startswith("/") else None
        target = target or None
    flags = sec_def.flags
    if SecFlag.ATTACH_BTF in flags and target is None:
        raise SectionError(f"section \"{section}\" needs an attach target: "
                           f"{sec_def.base}/<{_target_word(sec_def)}>")
    return ProgramType(
        section=section, sec_def=sec_def, prog_type=sec_def.prog_type,
        expected_attach_type=sec_def.attach_type, attach_target=target,
        sleepable=SecFlag.SLEEPABLE in flags, xdp_frags=SecFlag.XDP_FRAGS in flags,
        needs_attach_btf=SecFlag.ATTACH_BTF in flags, context=CONTEXTS[sec_def.prog_type])


def _target_word(sec_def: SectionDef) -> str:
    return {"tp_btf": "tracepoint", "lsm": "hook", "lsm.s": "hook", "lsm_cgroup": "hook",
            "iter": "iterator", "iter.s": "iterator"}.get(sec_def.base, "function")


def suggest_sections(section: str, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Known section names close to ``section``, best first.

    For a ``prefix/target`` name the prefix is compared with the prefixes of libbpf's
    ``name+`` entries and the target is carried over (``tp_bft/x`` -> ``tp_btf/x``); names
    libbpf matches exactly are compared whole.
    """
    head, slash, rest = section.partition("/")
    if len(head) > 64:  # no libbpf prefix is near; and SequenceMatcher is quadratic in it
        return []
    scores: dict[str, float] = {}
    for sec_def in SECTION_DEFS:
        if sec_def.pattern.endswith(("+", "/")):
            base = sec_def.pattern.rstrip("+/")
            candidate = f"{base}/{rest}" if slash and rest else base
            score = SequenceMatcher(None, head if slash else section, base).ratio()
        else:
            candidate = sec_def.pattern
            score = SequenceMatcher(None, section, candidate).ratio()
        scores[candidate] = max(score, scores.get(candidate, 0.0))
    ranked = sorted((c for c, sc in scores.items() if sc >= cutoff),
                    key=lambda c: (-scores[c], c))
    return ranked[:n]
