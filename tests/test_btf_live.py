"""The real kernel's BTF: the bundled snapshot always, the live one where it is readable.

The bundled snapshot was made from the development machines' 6.18 kernel, so the exact ids and
offsets the cases use (task_struct = 114, real_parent at +1280) are checked on it everywhere.
The live BTF is checked for the same facts structurally, exactly when it is the same build, and
compared with the snapshot type by type.
"""

from __future__ import annotations

import hashlib

import pytest

from kfunclab.btf import (
    BUNDLED_SNAPSHOT,
    LIVE_BTF,
    Access,
    Btf,
    BtfKind,
    live_available,
    load_btf,
    tracepoint_args,
    tracepoint_params,
)
from kfunclab.btf.types import Ptr
from kfunclab.ctype import Kind

needs_live = pytest.mark.skipif(not live_available(),
                                reason=f"{LIVE_BTF} is not readable on this machine")


@pytest.fixture(scope="module")
def bundled() -> Btf:
    return load_btf("bundled")


@pytest.fixture(scope="module")
def live() -> Btf:
    return load_btf("live")


def same_build(live: Btf, bundled: Btf) -> bool:
    return hashlib.sha256(LIVE_BTF.read_bytes()).hexdigest() == bundled.snapshot_meta.get(
        "source_sha256")


def test_bundled_snapshot_file(bundled: Btf) -> None:
    assert BUNDLED_SNAPSHOT.stat().st_size < 3 * 1024 * 1024
    assert bundled.is_snapshot and bundled.kernel_release.startswith("6.18")
    assert bundled.snapshot_meta["types_total"] == len(bundled)


def test_bundled_task_struct(bundled: Btf) -> None:
    assert bundled.struct_id("task_struct") == 114
    assert bundled.sizeof(114) == 3264
    acc = bundled.member_at(114, 1280, 8)
    assert (acc.access, acc.path, acc.btf_id) == (Access.PTR_TO_BTF_ID, "real_parent", 114)
    cpus = bundled.member_at(114, 800, 8)
    assert cpus.path == "cpus_ptr" and bundled.name(cpus.btf_id) == "cpumask"
    assert bundled.to_ctype(cpus.member_type_id).spelling() == "const struct cpumask *"
    assert bundled.member_at(114, 816, 8).path == "cpus_mask.bits[0]"
    assert bundled.struct_id("cgroup") == 969


def test_bundled_kfuncs_and_enums(bundled: Btf) -> None:
    assert len(bundled.kfuncs()) == 203
    acquire = bundled.kfunc("bpf_task_acquire")
    assert [(p.name, p.ctype.spelling()) for p in acquire.params] == [
        ("p", "struct task_struct *")]
    cast = bundled.kfunc("bpf_rdonly_cast")
    assert [p.name for p in cast.params] == ["obj__ign", "btf_id__k"]
    assert cast.decl_tags == ("bpf_kfunc", "bpf_fastcall")
    assert bundled.enum_values("bpf_func_id")["BPF_FUNC_get_prandom_u32"] == 7
    assert bundled.enum_values("bpf_prog_type")["BPF_PROG_TYPE_SYSCALL"] == 31
    assert bundled.enum_values("bpf_attach_type")["BPF_TRACE_RAW_TP"] == 23


def test_bundled_tracepoints_and_safe_lists(bundled: Btf) -> None:
    args = tracepoint_args(bundled, "sched_switch")
    assert [a.spelling() for a in args] == ["bool", "struct task_struct *",
                                            "struct task_struct *", "unsigned int"]
    assert [a.spelling() for a in tracepoint_args(bundled, "task_newtask")] == [
        "struct task_struct *", "u64"]
    safe = bundled.struct_members(bundled.struct_id("task_struct__safe_rcu"))
    assert [m.name for m in safe] == ["cpus_ptr", "cgroups", "real_parent", "group_leader"]


def test_bundled_program_contexts(bundled: Btf) -> None:
    for name, size in [("__sk_buff", 192), ("xdp_md", 24), ("bpf_perf_event_data", 184),
                       ("pt_regs", 168), ("sk_buff", 224), ("nf_conn", None),
                       ("bpf_sock_tuple", 36), ("bpf_ct_opts", 16), ("bpf_dynptr", 16)]:
        tid = bundled.struct_id(name)
        assert bundled.struct_members(tid)
        if size is not None:
            assert bundled.sizeof(tid) == size, name


@needs_live
def test_live_facts(live: Btf) -> None:
    task = live.struct_id("task_struct")
    assert live.describe(task) == "STRUCT task_struct"
    parent = next(m for m in live.struct_members(task) if m.name == "real_parent")
    acc = live.member_at(task, parent.byte_offset, 8)
    assert (acc.access, acc.btf_id, acc.field_name) == (Access.PTR_TO_BTF_ID, task, "real_parent")
    cpus_ptr = next(m for m in live.struct_members(task) if m.name == "cpus_ptr")
    ctype = live.to_ctype(cpus_ptr.type)
    assert ctype.kind is Kind.PTR and ctype.pointee_struct == "cpumask" and ctype.target.const
    assert [p.name for p in live.kfunc("bpf_task_acquire").params] == ["p"]
    assert [p.name for p in live.kfunc("bpf_rdonly_cast").params] == ["obj__ign", "btf_id__k"]
    assert live.enum_values("bpf_func_id")["BPF_FUNC_get_prandom_u32"] == 7
    assert live.kernel_release


@needs_live
def test_bundled_and_live_agree_by_name(live: Btf, bundled: Btf) -> None:
    """Builds differ in type ids, not in what the lessons rely on: the same kfuncs with the
    same prototypes, the UAPI enums, and the pointer members the notebooks follow. Where the
    running kernel *is* the snapshot's build, the ids are equal too."""
    assert {s.name for s in bundled.kfuncs()} == {s.name for s in live.kfuncs()}
    # parameter names carry the annotations (__sz, __k, __ign ...) the verifier reads
    protos = {s.name: [p.name for p in s.params] for s in live.kfuncs()}
    for sig in bundled.kfuncs():
        assert [p.name for p in sig.params] == protos[sig.name], sig.name
    for enum in ("bpf_func_id", "bpf_prog_type", "bpf_attach_type"):
        assert bundled.enum_values(enum) == live.enum_values(enum)
    for struct, member, pointee in (("task_struct", "real_parent", "task_struct"),
                                    ("task_struct", "cgroups", "css_set"),
                                    ("css_set", "dfl_cgrp", "cgroup")):
        for btf in (bundled, live):
            m = next(m for m in btf.struct_members(btf.struct_id(struct)) if m.name == member)
            assert btf.to_ctype(m.type).pointee_struct == pointee, (btf, struct, member)
    for tp in ("sched_switch", "task_newtask", "sys_enter"):
        assert tracepoint_params(bundled, tp) == tracepoint_params(live, tp)
    if same_build(live, bundled):
        for name in ("task_struct", "cgroup", "nf_conn", "sk_buff", "bpf_cpumask", "file"):
            assert bundled.find(name, BtfKind.STRUCT) == live.find(name, BtfKind.STRUCT)


@needs_live
def test_bundled_types_equal_live_types_on_the_snapshot_build(live: Btf, bundled: Btf) -> None:
    """On the build the snapshot came from, every kept type decodes the same as live; on any
    other build the same check runs by name for the structs the lessons use."""
    if same_build(live, bundled):
        kept = [tid for tid in range(1, len(bundled)) if bundled.raw.kinds[tid]]
        assert len(kept) > 10_000
        for tid in kept[::37]:
            assert bundled.type_by_id(tid) == live.type_by_id(tid), tid
            assert bundled.to_ctype(tid) == live.to_ctype(tid), tid
        return
    for name in ("task_struct", "css_set", "cpumask", "bpf_cpumask"):
        b, lv = bundled.struct_id(name), live.struct_id(name)
        assert [m.name for m in bundled.struct_members(b)] == [
            m.name for m in live.struct_members(lv)], name


@needs_live
def test_live_tracepoint_typedef_shape(live: Btf) -> None:
    (typedef,) = live.find("btf_trace_sched_switch", "TYPEDEF")
    ptr = live.type_by_id(live.skip_modifiers(typedef))
    assert isinstance(ptr, Ptr) and live.kind(ptr.type) is BtfKind.FUNC_PROTO
    assert tracepoint_args(live, "sched_switch")[1].pointee_struct == "task_struct"
