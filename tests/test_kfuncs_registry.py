"""The kfunc registry: hooks, COMMON first, filters, and what each kernel profile changes."""

from __future__ import annotations

import pytest

from kfunclab.errors import CatalogError, DeclarationError
from kfunclab.kfuncs import (
    KF,
    Hook,
    IdSet,
    Kfunc,
    KfuncIdSet,
    ProgContext,
    Registry,
    canonical_prog_type,
    get_profile,
    make_filter,
)

ACQ = Kfunc.declare("struct task_struct *bpf_t_acquire(struct task_struct *p)")
REL = Kfunc.declare("void bpf_t_release(struct task_struct *p)")
LOCK = Kfunc.declare("void bpf_lock(void)")


def ids(name: str, *entries: tuple[str, KF], kind: str = "kfuncs") -> KfuncIdSet:
    return KfuncIdSet("THIS_MODULE", IdSet(name, entries, kind))  # type: ignore[arg-type]


@pytest.fixture
def reg() -> Registry:
    r = Registry(get_profile("linux-6.18"))
    r.register("BPF_PROG_TYPE_SCHED_CLS", ids("tc_set", ("bpf_t_acquire", KF.ACQUIRE | KF.RET_NULL),
                                              ("bpf_t_release", KF.RELEASE)), [ACQ, REL])
    r.register("BPF_PROG_TYPE_UNSPEC", ids("common_set", ("bpf_lock", KF(0))), [LOCK])
    return r


def test_sched_cls_is_not_xdp(reg: Registry) -> None:
    assert reg.lookup("bpf_t_acquire", "BPF_PROG_TYPE_SCHED_CLS").flags == KF.ACQUIRE | \
        KF.RET_NULL
    assert reg.lookup("bpf_t_acquire", "SCHED_CLS") is not None  # short names too
    assert reg.lookup("bpf_t_acquire", "BPF_PROG_TYPE_XDP") is None
    assert reg.lookup("bpf_t_acquire", "BPF_PROG_TYPE_SCHED_ACT") is None  # its own hook


@pytest.mark.parametrize("ptype", ["XDP", "SCHED_CLS", "TRACING", "SOCKET_FILTER", "SK_MSG",
                                   "FLOW_DISSECTOR", "RAW_TRACEPOINT", "EXT"])
def test_unspec_registration_reaches_every_program_type(reg: Registry, ptype: str) -> None:
    assert reg.lookup("bpf_lock", ptype) == LOCK


def test_common_hook_is_consulted_first() -> None:
    r = Registry()
    r.register("BPF_PROG_TYPE_XDP", ids("xdp_set", ("bpf_t_acquire", KF.ACQUIRE)), [ACQ])
    r.register("BPF_PROG_TYPE_UNSPEC", ids("common_set", ("bpf_t_acquire",
                                                          KF.ACQUIRE | KF.RET_NULL)), [ACQ])
    assert r.lookup("bpf_t_acquire", "XDP").flags == KF.ACQUIRE | KF.RET_NULL  # COMMON's flags
    assert r.hooks_of("bpf_t_acquire") == (Hook.COMMON, Hook.XDP)


def test_hooks_shared_by_program_types(reg: Registry) -> None:
    reg.register("CGROUP_SKB", ids("cg", ("bpf_t_release", KF.RELEASE)), [REL])
    for ptype in ("CGROUP_SOCK", "CGROUP_DEVICE", "SOCK_OPS", "CGROUP_SYSCTL"):
        assert reg.lookup("bpf_t_release", ptype) is not None
    assert reg.prog_types_of("bpf_t_release") == ("BPF_PROG_TYPE_SCHED_CLS",
                                                  "BPF_PROG_TYPE_CGROUP_SKB")


def test_filters_apply_hook_wide_and_fall_through_to_the_next_hook() -> None:
    r = Registry()
    lsm_only = make_filter("bpf_fs_kfuncs_filter", ("bpf_t_release",))
    r.register("LSM", KfuncIdSet("THIS_MODULE", IdSet("fs", (("bpf_t_release", KF.RELEASE),)),
                                 lsm_only), [REL])
    r.register("TRACING", ids("tr", ("bpf_t_acquire", KF.ACQUIRE)), [ACQ])
    assert r.lookup("bpf_t_release", "LSM") is not None
    assert r.lookup("bpf_t_release", "TRACING") is None  # same hook, hidden by the filter
    assert r.lookup("bpf_t_acquire", "TRACING") is not None  # the filter ignores other kfuncs
    session = make_filter("bpf_kprobe_multi_filter", ("bpf_lock",))
    r.register("KPROBE", KfuncIdSet("THIS_MODULE", IdSet("k", (("bpf_lock", KF(0)),)), session),
               [LOCK])
    assert r.lookup("bpf_lock", "KPROBE") is None
    assert r.lookup("bpf_lock", ProgContext("KPROBE", "BPF_TRACE_KPROBE_SESSION")) is not None


def test_kfuncs_for_and_find(reg: Registry) -> None:
    assert [k.name for k in reg.kfuncs_for("SCHED_CLS")] == ["bpf_lock", "bpf_t_acquire",
                                                             "bpf_t_release"]
    assert [k.name for k in reg.kfuncs_for("XDP")] == ["bpf_lock"]
    assert reg.find("bpf_t_release").flags == KF.RELEASE
    assert reg.find("bpf_nope") is None
    assert "bpf_lock" in reg and len(reg) == 3


def test_registration_errors() -> None:
    r = Registry()
    with pytest.raises(DeclarationError) as e:
        r.register("BPF_PROG_TYPE_TRACNG", ids("s", ("bpf_lock", KF(0))), [LOCK])
    assert "unknown program type 'BPF_PROG_TYPE_TRACNG'" in str(e.value)
    with pytest.raises(DeclarationError, match="never declared"):
        r.register("XDP", ids("s", ("bpf_other", KF(0))))
    with pytest.raises(DeclarationError, match="was made with BTF_SET8_START"):
        r.register("XDP", ids("s8", ("bpf_lock", KF(0)), kind="set8"), [LOCK])
    with pytest.raises(DeclarationError, match=r"no kfunc hook in linux-6\.18"):
        r.register("SK_LOOKUP", ids("s", ("bpf_lock", KF(0))), [LOCK])
    r.register("XDP", ids("a", ("bpf_t_release", KF.RELEASE)), [REL])
    with pytest.raises(DeclarationError) as e:
        r.register("XDP", ids("b", ("bpf_t_release", KF.RELEASE | KF.SLEEPABLE)), [REL])
    assert str(e.value) == ("bpf_t_release: is registered in BTF_KFUNC_HOOK_XDP twice with "
                            "different flags (KF_RELEASE and KF_RELEASE | KF_SLEEPABLE); expected "
                            "one set per hook")
    with pytest.raises(DeclarationError, match="KF_RELEASE releases the referenced pointer"):
        r.register("XDP", ids("c", ("bpf_lock", KF.RELEASE)), [LOCK])
    assert r.lookup("bpf_lock", "XDP") is None  # a refused set registers nothing


def test_prototype_of_fallback() -> None:
    r = Registry(prototype_of={"bpf_lock": LOCK}.get)
    r.register("SYSCALL", ids("s", ("bpf_lock", KF.SLEEPABLE)))
    assert r.lookup("bpf_lock", "SYSCALL").flags == KF.SLEEPABLE


def test_raw_tracepoint_hook_differs_by_profile() -> None:
    for name, visible in (("linux-6.18", False), ("linux-7.0", True)):
        r = Registry(get_profile(name))
        r.register("TRACING", ids("s", ("bpf_t_acquire", KF.ACQUIRE)), [ACQ])
        assert (r.lookup("bpf_t_acquire", "RAW_TRACEPOINT") is not None) is visible
        assert r.lookup("bpf_t_acquire", "PERF_EVENT") is not None


def test_doc_profile_knows_fewer_hooks() -> None:
    r = Registry(get_profile("doc"))
    with pytest.raises(DeclarationError, match="no kfunc hook in doc"):
        r.register("SCHED_ACT", ids("s", ("bpf_lock", KF(0)), kind="set8"), [LOCK])
    r.register("SCHED_CLS", ids("s", ("bpf_lock", KF(0)), kind="set8"), [LOCK])  # set8 is fine
    assert r.lookup("bpf_lock", "SCHED_CLS") is not None


# --- profiles ---------------------------------------------------------------------------------


def test_profile_fields() -> None:
    doc, l618, l70 = get_profile("doc"), get_profile("linux-6.18"), get_profile("linux-7.0")
    assert get_profile() is l618
    assert (doc.kptr_get, l618.kptr_get, l70.kptr_get) == (True, False, False)
    assert (l618.trusted_args_default, l70.trusted_args_default) == (False, True)
    assert KF.TRUSTED_ARGS in l618.flags and KF.TRUSTED_ARGS not in l70.flags
    assert (doc.rcu_protected_enforced, l618.rcu_protected_enforced) == (False, True)
    assert (l618.opt_exempts_null_check, l70.opt_exempts_null_check) == (False, True)
    assert l618.release_implies_trusted
    assert "BTF_KFUNCS_START" not in doc.set_macros and "BTF_KFUNCS_START" in l618.set_macros
    assert KF.ITER_NEW not in doc.flags and KF.RCU in doc.flags
    assert l618.hook_of("BPF_PROG_TYPE_LSM") is Hook.TRACING
    assert l618.hook_of("BPF_PROG_TYPE_RAW_TRACEPOINT") is Hook.MAX
    assert l618.max_args == 5 and l618.catalog == "linux-6.18"


def test_profile_typo_lists_known_names() -> None:
    with pytest.raises(CatalogError) as e:
        get_profile("linux-6.81")
    assert str(e.value) == ("unknown kernel profile 'linux-6.81'; expected one of linux-6.18, "
                            "doc, linux-7.0, live")


def test_canonical_prog_type() -> None:
    assert canonical_prog_type("xdp") == "BPF_PROG_TYPE_XDP"
    assert canonical_prog_type("BPF_PROG_TYPE_SCHED_CLS") == "BPF_PROG_TYPE_SCHED_CLS"
    with pytest.raises(DeclarationError, match="unknown program type 'TC'"):
        canonical_prog_type("TC")
