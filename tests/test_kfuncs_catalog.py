"""kfunc catalogues: doc, linux-6.18, linux-7.0, files; checked against the public cases and,
where available, this kernel's BTF."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from kfunclab.errors import CatalogError, DeclarationError, ParseError
from kfunclab.isa.helpers import helper_id
from kfunclab.kfuncs import KF, Annotation, Hook, load_catalog, prototype_resolver

# the project's shared material sits beside the repository (../shared), as in CI
SHARED = next((p for p in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared"))
               if p.is_dir()), Path("../shared"))
CASES = SHARED / "cases"
#: The sections the public cases use -> program type (as libbpf sets them up).
CASE_SECTIONS = {"kprobe": "KPROBE", "perf_event": "PERF_EVENT", "socket": "SOCKET_FILTER",
                 "syscall": "SYSCALL", "tc": "SCHED_CLS", "tp_btf": "TRACING", "xdp": "XDP"}


@pytest.fixture(scope="module")
def l618():  # type: ignore[no-untyped-def]
    return load_catalog("linux-6.18")


def test_catalogue_6_18_rows(l618) -> None:  # type: ignore[no-untyped-def]
    assert l618.profile.name == "linux-6.18" and l618.kernel == "6.18"
    assert len(l618) >= 200
    row = l618.rows["bpf_task_acquire"]
    assert (row.flags, row.id_set, row.source) == (KF.ACQUIRE | KF.RCU | KF.RET_NULL,
                                                   "generic_btf_ids", "kernel/bpf/helpers.c")
    assert row.prototype == "struct task_struct *bpf_task_acquire(struct task_struct *p)"
    assert "BPF_PROG_TYPE_CGROUP_SKB" in row.prog_types and Hook.CGROUP in row.hooks
    assert l618.rows["bpf_rdonly_cast"].flags == KF.FASTCALL
    assert l618.rows["bpf_rdonly_cast"].hooks == (Hook.COMMON,)
    assert l618.rows["bpf_get_file_xattr"].flags == KF.SLEEPABLE | KF.TRUSTED_ARGS
    assert l618.rows["bpf_get_file_xattr"].filter == "bpf_fs_kfuncs_filter"
    assert l618.rows["bpf_iter_task_new"].flags == KF.ITER_NEW | KF.TRUSTED_ARGS | \
        KF.RCU_PROTECTED
    assert l618.rows["bpf_ct_insert_entry"].flags == KF.ACQUIRE | KF.RET_NULL | KF.RELEASE
    crash = l618.rows["crash_kexec"]
    assert (crash.flags, crash.present) == (KF.DESTRUCTIVE, False)
    assert "absent here" in crash.note
    assert l618.rows["bpf_modify_return_test2"].hooks == (Hook.FMODRET,)
    assert all(k.gpl_only for k in l618.kfuncs.values())


def test_catalogue_6_18_lookups(l618) -> None:  # type: ignore[no-untyped-def]
    assert l618.lookup("bpf_rcu_read_lock", "FLOW_DISSECTOR") is not None  # COMMON
    assert l618.lookup("bpf_task_from_pid", "RAW_TRACEPOINT") is None  # no hook in 6.18
    assert l618.lookup("bpf_cpumask_create", "SYSCALL") is not None
    assert l618.lookup("bpf_cpumask_create", "XDP") is None
    assert l618.lookup("bpf_xdp_ct_lookup", "SCHED_CLS") is not None
    assert l618.lookup("bpf_dynptr_from_skb", "SOCKET_FILTER") is not None
    assert l618.lookup("bpf_dynptr_from_skb", "XDP") is None
    assert l618.lookup("bpf_get_file_xattr", "LSM") is not None
    assert l618.lookup("bpf_get_file_xattr", "TRACING") is None
    assert l618.lookup("bpf_modify_return_test", "TRACING") is None
    k = l618.lookup("bpf_copy_from_user_str", "SYSCALL")
    assert [p.annotation for p in k.params] == [Annotation.NONE, Annotation.SIZE,
                                                Annotation.IGNORE, Annotation.NONE]


def _case_calls() -> list[tuple[str, str, set[str]]]:
    out = []
    for path in sorted(CASES.rglob("*.s")):
        text = path.read_text()
        sec = re.search(r'^# SEC\("([^"/]+)', text, re.M)
        calls = set(re.findall(r"^\s*call\s+(bpf_\w+)", text, re.M))
        out.append((path.relative_to(CASES).as_posix(), sec.group(1) if sec else "", calls))
    return out


@pytest.mark.skipif(not CASES.exists(), reason="the public cases are not available")
def test_catalogue_has_every_kfunc_the_cases_call(l618) -> None:  # type: ignore[no-untyped-def]
    expected = json.loads((CASES / "expected.json").read_text())
    seen: set[str] = set()
    for rel, sec, calls in _case_calls():
        kfuncs = {c for c in calls if helper_id(c) is None}
        missing = kfuncs - set(l618.rows)
        assert not missing, f"{rel} calls {missing}, which the linux-6.18 catalogue lacks"
        seen |= kfuncs
        verdict = expected.get(rel, {})
        ptype = CASE_SECTIONS[sec]
        for name in kfuncs:
            hidden = f"calling kernel function {name} is not allowed" in (verdict.get("error")
                                                                          or "")
            if hidden:
                assert l618.lookup(name, ptype) is None, (rel, name)
            elif verdict.get("verdict") == "accept":
                assert l618.lookup(name, ptype) is not None, (rel, name)
    assert len(seen) >= 30


def test_catalogue_7_0_drops_trusted_args() -> None:
    l70 = load_catalog("linux-7.0")
    assert l70.profile.trusted_args_default
    assert not any(KF.TRUSTED_ARGS in r.flags for r in l70)
    assert l70.rows["bpf_get_file_xattr"].flags == KF.SLEEPABLE
    assert l70.rows["bpf_task_acquire"].flags == KF.ACQUIRE | KF.RCU | KF.RET_NULL
    assert l70.lookup("bpf_task_from_pid", "RAW_TRACEPOINT") is not None
    assert "KF_TRUSTED_ARGS" in l70.sources


def test_catalogue_doc() -> None:
    doc = load_catalog("doc")
    assert doc.profile.name == "doc" and doc.kernel == "6.2"
    assert doc.rows["bpf_get_task_pid"].flags == KF.ACQUIRE | KF.RET_NULL
    assert doc.rows["bpf_put_pid"].flags == KF.RELEASE
    assert set(doc.rows) >= {"bpf_find_get_task_by_vpid", "bpf_memzero", "bpf_obj_new",
                             "bpf_get_task_pid", "bpf_put_pid"}
    for name in doc.rows:
        assert doc.lookup(name, "TRACING") is not None
        assert doc.lookup(name, "XDP") is None
    assert doc.rows["bpf_memzero"].source == "doc-kfuncs.h:35"


def test_load_catalog_errors(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as e:
        load_catalog("linux-6.81")
    assert str(e.value) == ("unknown kfunc catalogue 'linux-6.81'; expected one of doc, "
                            "linux-6.18, linux-7.0, or a .h/.c/.json file")
    with pytest.raises(CatalogError, match=r"describes profile 'linux-6\.18', not 'doc'"):
        load_catalog("linux-6.18", "doc")
    with pytest.raises(CatalogError, match="cannot read the kfunc file"):
        load_catalog(tmp_path / "none.h")
    bad = tmp_path / "bad.json"
    bad.write_text('{"sets": [')
    with pytest.raises(CatalogError, match=r"bad.json:1:\d+: invalid JSON"):
        load_catalog(bad)


def test_load_catalog_from_a_c_file(tmp_path: Path) -> None:
    f = tmp_path / "mine.h"
    f.write_text("struct cgroup *bpf_my_cg(u64 id) { }\n"
                 "BTF_KFUNCS_START(ids)\nBTF_ID_FLAGS(func, bpf_my_cg, KF_ACQUIRE | KF_RET_NULL)\n"
                 "BTF_KFUNCS_END(ids)\n"
                 "static const struct btf_kfunc_id_set s = { .set = &ids };\n"
                 "static int init(void)\n"
                 "{ return register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &s); }\n")
    cat = load_catalog(f)
    assert cat.name == "mine" and cat.profile.name == "linux-6.18"
    assert cat.rows["bpf_my_cg"].prog_types == ("BPF_PROG_TYPE_XDP",)
    assert cat.lookup("bpf_my_cg", "XDP").flags == KF.ACQUIRE | KF.RET_NULL
    with pytest.raises(ParseError, match=r"mine\.h:2:1: error: BTF_KFUNCS_START is not known"):
        load_catalog(f, "doc")
    f.write_text(f.read_text().replace("u64 id", "void *id"))
    with pytest.raises(DeclarationError, match="void \\* without a size"):
        load_catalog(f)


def test_prototype_resolver_overrides_the_table(l618) -> None:  # type: ignore[no-untyped-def]
    k = l618.registry.declaration("bpf_task_from_pid")
    resolver = prototype_resolver([("bpf_task_from_pid", 65889, k.ret,
                                    [(p.name, p.ctype) for p in k.params])])
    cat = load_catalog("linux-6.18", prototype_of=resolver)
    got = cat.lookup("bpf_task_from_pid", "SYSCALL")
    assert (got.btf_id, got.source, got.flags) == (65889, "BTF", KF.ACQUIRE | KF.RET_NULL)
    assert cat.lookup("bpf_task_acquire", "SYSCALL").btf_id is None  # not resolved: table


def _live_btf_ok() -> bool:
    return os.access("/sys/kernel/btf/vmlinux", os.R_OK)


@pytest.mark.kernel
@pytest.mark.skipif(not _live_btf_ok(), reason="needs a readable /sys/kernel/btf/vmlinux")
def test_catalogue_prototypes_match_this_kernels_btf(l618) -> None:  # type: ignore[no-untyped-def]
    btf = pytest.importorskip("kfunclab.btf")
    live = {sig.name: sig for sig in btf.load_btf("live").kfuncs()}
    present = {r.name for r in l618 if r.present}
    assert present == set(live), "catalogue rows and this kernel's bpf_kfunc FUNCs differ"
    for name in present:
        k = l618.registry.declaration(name)
        sig = live[name]
        assert [p.name for p in k.params] == [p.name for p in sig.params], name
        assert [p.ctype.is_pointer for p in k.params] == [p.ctype.is_pointer
                                                          for p in sig.params], name
        assert k.ret.pointee_struct == sig.ret.pointee_struct, name
