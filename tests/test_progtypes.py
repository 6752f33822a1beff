"""libbpf SEC() names -> program types, table-driven like libbpf's own section_defs."""

from __future__ import annotations

import errno
import subprocess
import sys

import pytest

from kfunclab.btf import live_available, load_btf
from kfunclab.ctype import Kind
from kfunclab.errors import SectionError
from kfunclab.progtypes import (
    CONTEXTS,
    SECTION_DEFS,
    AttachType,
    ProgType,
    program_type,
    suggest_sections,
)

# section, prog type, expected attach type (None = 0), attach target, sleepable, R1 points at
CASES = [
    ("socket", "SOCKET_FILTER", None, None, False, "struct __sk_buff"),
    ("kprobe/do_sys_openat2", "KPROBE", None, "do_sys_openat2", False, "struct pt_regs"),
    ("kretprobe/do_sys_openat2", "KPROBE", None, "do_sys_openat2", False, "struct pt_regs"),
    ("uprobe//bin/sh:main", "KPROBE", None, "/bin/sh:main", False, "struct pt_regs"),
    ("uprobe.s//bin/sh:main", "KPROBE", None, "/bin/sh:main", True, "struct pt_regs"),
    ("kprobe.multi/vfs_*", "KPROBE", "TRACE_KPROBE_MULTI", "vfs_*", False, "struct pt_regs"),
    ("kprobe.session/x", "KPROBE", "TRACE_KPROBE_SESSION", "x", False, "struct pt_regs"),
    ("ksyscall/openat", "KPROBE", None, "openat", False, "struct pt_regs"),
    ("usdt.s/p:q", "KPROBE", None, "p:q", True, "struct pt_regs"),
    ("tc", "SCHED_CLS", None, None, False, "struct __sk_buff"),
    ("classifier", "SCHED_CLS", None, None, False, "struct __sk_buff"),
    ("tc/ingress", "SCHED_CLS", "TCX_INGRESS", None, False, "struct __sk_buff"),
    ("tc/egress", "SCHED_CLS", "TCX_EGRESS", None, False, "struct __sk_buff"),
    ("tcx/ingress", "SCHED_CLS", "TCX_INGRESS", None, False, "struct __sk_buff"),
    ("tcx/egress", "SCHED_CLS", "TCX_EGRESS", None, False, "struct __sk_buff"),
    ("netkit/peer", "SCHED_CLS", "NETKIT_PEER", None, False, "struct __sk_buff"),
    ("action", "SCHED_ACT", None, None, False, "struct __sk_buff"),
    ("tracepoint/sched/sched_switch", "TRACEPOINT", None, "sched/sched_switch", False, "__u64"),
    ("tp/sched/sched_switch", "TRACEPOINT", None, "sched/sched_switch", False, "__u64"),
    ("raw_tracepoint/sched_switch", "RAW_TRACEPOINT", None, "sched_switch", False,
     "struct bpf_raw_tracepoint_args"),
    ("raw_tp/sched_switch", "RAW_TRACEPOINT", None, "sched_switch", False,
     "struct bpf_raw_tracepoint_args"),
    ("raw_tp.w/sched_switch", "RAW_TRACEPOINT_WRITABLE", None, "sched_switch", False,
     "struct bpf_raw_tracepoint_args"),
    ("tp_btf/task_newtask", "TRACING", "TRACE_RAW_TP", "task_newtask", False, "u64"),
    ("fentry/do_sys_openat2", "TRACING", "TRACE_FENTRY", "do_sys_openat2", False, "u64"),
    ("fexit/do_sys_openat2", "TRACING", "TRACE_FEXIT", "do_sys_openat2", False, "u64"),
    ("fentry.s/do_sys_openat2", "TRACING", "TRACE_FENTRY", "do_sys_openat2", True, "u64"),
    ("fexit.s/do_sys_openat2", "TRACING", "TRACE_FEXIT", "do_sys_openat2", True, "u64"),
    ("fmod_ret/bpf_modify_return_test", "TRACING", "MODIFY_RETURN", "bpf_modify_return_test",
     False, "u64"),
    ("lsm/file_open", "LSM", "LSM_MAC", "file_open", False, "u64"),
    ("lsm.s/file_open", "LSM", "LSM_MAC", "file_open", True, "u64"),
    ("lsm_cgroup/socket_bind", "LSM", "LSM_CGROUP", "socket_bind", False, "u64"),
    ("iter/task", "TRACING", "TRACE_ITER", "task", False, "u64"),
    ("iter.s/task", "TRACING", "TRACE_ITER", "task", True, "u64"),
    ("syscall", "SYSCALL", None, None, True, "void"),
    ("xdp", "XDP", "XDP", None, False, "struct xdp_md"),
    ("xdp.frags", "XDP", "XDP", None, False, "struct xdp_md"),
    ("xdp/devmap", "XDP", "XDP_DEVMAP", None, False, "struct xdp_md"),
    ("xdp.frags/cpumap", "XDP", "XDP_CPUMAP", None, False, "struct xdp_md"),
    ("perf_event", "PERF_EVENT", None, None, False, "struct bpf_perf_event_data"),
    ("cgroup_skb/ingress", "CGROUP_SKB", "CGROUP_INET_INGRESS", None, False, "struct __sk_buff"),
    ("cgroup_skb/egress", "CGROUP_SKB", "CGROUP_INET_EGRESS", None, False, "struct __sk_buff"),
    ("cgroup/skb", "CGROUP_SKB", None, None, False, "struct __sk_buff"),
    ("cgroup/sock", "CGROUP_SOCK", "CGROUP_INET_SOCK_CREATE", None, False, "struct bpf_sock"),
    ("cgroup/sock_create", "CGROUP_SOCK", "CGROUP_INET_SOCK_CREATE", None, False,
     "struct bpf_sock"),
    ("cgroup/sock_release", "CGROUP_SOCK", "CGROUP_INET_SOCK_RELEASE", None, False,
     "struct bpf_sock"),
    ("cgroup/post_bind4", "CGROUP_SOCK", "CGROUP_INET4_POST_BIND", None, False,
     "struct bpf_sock"),
    ("cgroup/connect4", "CGROUP_SOCK_ADDR", "CGROUP_INET4_CONNECT", None, False,
     "struct bpf_sock_addr"),
    ("cgroup/sendmsg_unix", "CGROUP_SOCK_ADDR", "CGROUP_UNIX_SENDMSG", None, False,
     "struct bpf_sock_addr"),
    ("cgroup/dev", "CGROUP_DEVICE", "CGROUP_DEVICE", None, False, "struct bpf_cgroup_dev_ctx"),
    ("cgroup/sysctl", "CGROUP_SYSCTL", "CGROUP_SYSCTL", None, False, "struct bpf_sysctl"),
    ("cgroup/getsockopt", "CGROUP_SOCKOPT", "CGROUP_GETSOCKOPT", None, False,
     "struct bpf_sockopt"),
    ("sk_skb", "SK_SKB", None, None, False, "struct __sk_buff"),
    ("sk_skb/stream_parser", "SK_SKB", "SK_SKB_STREAM_PARSER", None, False, "struct __sk_buff"),
    ("sk_skb/stream_verdict", "SK_SKB", "SK_SKB_STREAM_VERDICT", None, False,
     "struct __sk_buff"),
    ("sk_msg", "SK_MSG", "SK_MSG_VERDICT", None, False, "struct sk_msg_md"),
    ("sockops", "SOCK_OPS", "CGROUP_SOCK_OPS", None, False, "struct bpf_sock_ops"),
    ("struct_ops/dequeue", "STRUCT_OPS", None, "dequeue", False, "u64"),
    ("struct_ops.s/init", "STRUCT_OPS", None, "init", True, "u64"),
    ("struct_ops", "STRUCT_OPS", None, None, False, "u64"),
    ("netfilter", "NETFILTER", "NETFILTER", None, False, "struct bpf_nf_ctx"),
    ("sk_lookup", "SK_LOOKUP", "SK_LOOKUP", None, False, "struct bpf_sk_lookup"),
    ("sk_reuseport", "SK_REUSEPORT", "SK_REUSEPORT_SELECT", None, False,
     "struct sk_reuseport_md"),
    ("sk_reuseport/migrate", "SK_REUSEPORT", "SK_REUSEPORT_SELECT_OR_MIGRATE", None, False,
     "struct sk_reuseport_md"),
    ("flow_dissector", "FLOW_DISSECTOR", "FLOW_DISSECTOR", None, False, "struct __sk_buff"),
    ("lwt_in", "LWT_IN", None, None, False, "struct __sk_buff"),
    ("lwt_out", "LWT_OUT", None, None, False, "struct __sk_buff"),
    ("lwt_xmit", "LWT_XMIT", None, None, False, "struct __sk_buff"),
    ("lwt_seg6local", "LWT_SEG6LOCAL", None, None, False, "struct __sk_buff"),
    ("lirc_mode2", "LIRC_MODE2", "LIRC_MODE2", None, False, "__u32"),
    ("freplace/handler", "EXT", None, "handler", False, "void"),
]


@pytest.mark.parametrize(("sec", "prog", "attach", "target", "sleepable", "ctx"), CASES,
                         ids=[c[0] for c in CASES])
def test_section(sec: str, prog: str, attach: str | None, target: str | None, sleepable: bool,
                 ctx: str) -> None:
    pt = program_type(sec)
    assert pt.prog_type is ProgType[prog]
    assert pt.expected_attach_type is (AttachType[attach] if attach else None)
    assert pt.attach_target == target
    assert pt.sleepable is sleepable
    assert pt.context.ctype.spelling() == ctx


def test_numbers_are_the_kernels() -> None:
    pt = program_type("tp_btf/sched_switch")
    assert (int(pt.prog_type), pt.expected_attach_type_value) == (26, 23)
    assert pt.prog_type.kernel_name == "BPF_PROG_TYPE_TRACING"
    assert pt.expected_attach_type.kernel_name == "BPF_TRACE_RAW_TP"
    assert program_type("socket").expected_attach_type_value == 0
    assert int(ProgType.NETFILTER) == 32 and int(AttachType.TRACE_UPROBE_SESSION) == 57


def test_syscall_must_be_sleepable() -> None:
    assert program_type("syscall").must_be_sleepable and program_type("syscall").sleepable
    assert not program_type("iter.s/task").must_be_sleepable


def test_prog_flags() -> None:
    assert program_type("syscall").prog_flags == 16  # BPF_F_SLEEPABLE
    assert program_type("xdp.frags").prog_flags == 32  # BPF_F_XDP_HAS_FRAGS
    assert program_type("xdp").prog_flags == 0
    assert program_type("xdp.frags").xdp_frags and not program_type("xdp").xdp_frags


def test_attach_btf_names() -> None:
    assert program_type("tp_btf/sched_switch").attach_btf_name == ("btf_trace_sched_switch",
                                                                   "TYPEDEF")
    assert program_type("fentry/do_exit").attach_btf_name == ("do_exit", "FUNC")
    assert program_type("lsm.s/file_open").attach_btf_name == ("bpf_lsm_file_open", "FUNC")
    assert program_type("iter/task").attach_btf_name == ("bpf_iter_task", "FUNC")
    assert program_type("kprobe/do_exit").attach_btf_name is None
    assert program_type("tp_btf/x").needs_attach_btf
    assert not program_type("raw_tp/x").needs_attach_btf


def test_contexts() -> None:
    tp = program_type("tp_btf/task_newtask").context
    assert tp.btf_args and tp.r1.spelling() == "u64 *"
    sys_ctx = program_type("syscall").context
    assert sys_ctx.r1.is_void_pointer and not sys_ctx.btf_args
    tc = program_type("tc").context
    assert (tc.ctype.name, tc.kern.name) == ("__sk_buff", "sk_buff")
    assert program_type("xdp").context.kern.name == "xdp_buff"
    assert set(CONTEXTS) == set(ProgType) - {ProgType.UNSPEC}


def test_first_match_wins_like_libbpf() -> None:
    # "sk_skb/stream_parser" is listed before "sk_skb" (exact), "tc/ingress" before "tc"
    assert program_type("sk_skb/stream_parser").sec_def.pattern == "sk_skb/stream_parser"
    assert program_type("tc/ingress").sec_def.pattern == "tc/ingress"
    # "kprobe+" does not swallow "kprobe.multi/..." (needs end or "/")
    assert program_type("kprobe.multi/x").sec_def.pattern == "kprobe.multi+"
    patterns = [d.pattern for d in SECTION_DEFS]
    assert len(patterns) == len(set(patterns))


@pytest.mark.parametrize(("sec", "message"), [
    ("tp_bft/task_newtask", 'unknown section "tp_bft/task_newtask"; did you mean: '
                            "tp_btf/task_newtask?"),
    ("sockett", 'unknown section "sockett"; did you mean: socket?'),
    ("socket/extra", 'unknown section "socket/extra"; did you mean: socket?'),  # exact only
    ("tc/ingres", 'unknown section "tc/ingres"; did you mean: tc/ingress, tcx/ingress, '
                  "tc/egress?"),
    ("sk_skb/other", 'unknown section "sk_skb/other"; did you mean: sk_skb, '
                     "sk_skb/stream_parser, sk_skb/stream_verdict?"),
    ("zzzz", 'unknown section "zzzz"'),
    ("tp_btf", 'section "tp_btf" needs an attach target: tp_btf/<tracepoint>'),
    ("fentry/", 'section "fentry/" needs an attach target: fentry/<function>'),
    ("lsm.s", 'section "lsm.s" needs an attach target: lsm.s/<hook>'),
    ("iter", 'section "iter" needs an attach target: iter/<iterator>'),
])
def test_bad_sections(sec: str, message: str) -> None:
    with pytest.raises(SectionError) as exc:
        program_type(sec)
    assert str(exc.value) == message


def test_suggestions_keep_the_target() -> None:
    assert suggest_sections("fenty/do_exit")[0] == "fentry/do_exit"
    assert suggest_sections("qqqqqqqq") == []


def test_capabilities() -> None:
    assert program_type("tp_btf/x").required_capabilities() == (
        ("CAP_BPF", "CAP_SYS_ADMIN"), ("CAP_PERFMON", "CAP_SYS_ADMIN"))
    assert program_type("tc").required_capabilities() == (
        ("CAP_BPF", "CAP_SYS_ADMIN"), ("CAP_NET_ADMIN", "CAP_SYS_ADMIN"))
    assert program_type("socket").required_capabilities() == (("CAP_BPF", "CAP_SYS_ADMIN"),)
    assert program_type("socket").required_capabilities(unprivileged_bpf_disabled=False) == ()
    assert program_type("syscall").required_capabilities() == (("CAP_BPF", "CAP_SYS_ADMIN"),)


@pytest.mark.parametrize(("sec", "dropped", "refused"), [
    ("tp_btf/sched_switch", ["cap_perfmon", "cap_sys_admin"], True),
    ("tp_btf/sched_switch", ["cap_perfmon"], False),  # CAP_SYS_ADMIN still covers it
    ("perf_event", ["CAP_PERFMON", "CAP_SYS_ADMIN"], True),
    ("kprobe/x", ["perfmon", "sys_admin"], True),
    ("tc", ["cap_net_admin", "cap_sys_admin"], True),
    ("tc", ["cap_perfmon", "cap_sys_admin"], False),
    ("socket", ["cap_perfmon", "cap_sys_admin"], False),
    ("socket", ["cap_bpf", "cap_sys_admin"], True),
    ("syscall", ["cap_perfmon", "cap_sys_admin"], False),
    ("sk_lookup", ["cap_net_admin", "cap_sys_admin"], False),
    ("tc", ["cap_sys_boot"], False),
])
def test_load_refusal_for_capabilities(sec: str, dropped: list[str], refused: bool) -> None:
    result = program_type(sec).load_refusal(dropped)
    assert (result is not None) is refused
    if refused:
        assert result[0] == errno.EPERM


def test_trampoline_programs_refused_here() -> None:
    for sec in ("fentry/do_exit", "fexit/do_exit", "fmod_ret/x", "lsm/file_open", "fentry.s/x"):
        pt = program_type(sec)
        assert pt.uses_trampoline and pt.needs_attach_btf
        assert pt.load_refusal() == (errno.EPERM, f"{sec}: trampoline programs are refused "
                                                  "before verification on this kernel")
    for sec in ("tp_btf/x", "iter/task", "syscall", "kprobe/x"):
        assert not program_type(sec).uses_trampoline
        assert program_type(sec).load_refusal() is None


@pytest.mark.skipif(not live_available(), reason="live BTF not readable")
def test_enums_match_live_btf() -> None:
    btf = load_btf("live")
    prog_types = btf.enum_values("bpf_prog_type")
    for pt in ProgType:
        assert prog_types[pt.kernel_name] == pt.value
    attach_types = btf.enum_values("bpf_attach_type")
    for at in AttachType:
        assert attach_types[at.kernel_name] == at.value


def test_enums_match_bundled_btf() -> None:
    btf = load_btf("bundled")
    assert {pt.kernel_name: pt.value for pt in ProgType}.items() <= btf.enum_values(
        "bpf_prog_type").items()


def test_contexts_match_bpf_ctx_convert() -> None:
    """Each prog type's context is the kernel's bpf_ctx_convert <TYPE>_prog / _kern member."""
    btf = load_btf("bundled")
    members = {m.name: m.type for m in btf.struct_members(btf.struct_id("bpf_ctx_convert"))}
    for pt, ctx in CONTEXTS.items():
        if f"{pt.kernel_name}_prog" not in members:  # LIRC_MODE2 is not built in here
            continue
        for suffix, expected in (("_prog", ctx.ctype), ("_kern", ctx.kern)):
            actual = btf.to_ctype(members[pt.kernel_name + suffix])
            if actual.kind is Kind.PTR:  # void * contexts
                assert expected.kind is Kind.VOID or ctx.btf_args, pt
            else:
                assert actual.name == expected.name, (pt, suffix)


def test_imports_stay_in_their_layer() -> None:
    """progtypes knows no BTF; neither module pulls in matplotlib or ipywidgets."""
    code = ("import sys, kfunclab.progtypes; assert 'kfunclab.btf' not in sys.modules; "
            "import kfunclab.btf; "
            "bad = {'matplotlib', 'ipywidgets', 'kfunclab.verifier'} & set(sys.modules); "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
