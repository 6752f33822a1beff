"""Every helper's ``bpf_func_proto`` as data (kfunclab/data/helper-protos.json), and its use.

- the data covers every helper id of the BTF in use (bundled, and the running kernel's);
- the prototypes carry the kernel's argument kinds and flags (a few spot checks that would
  catch a generator that lost flags, BTF structs or per-program-type prototypes);
- the source's availability tables agree with the running kernel's probe where the two can
  be compared (the live profile), apart from cases an ``if`` or a configuration decides;
- socket field access follows bpf_sock_is_valid_access() and friends.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kfunclab.btf import live_available, load_btf
from kfunclab.isa.helpers import HELPER_IDS
from kfunclab.kernel import kernel_available
from kfunclab.verifier.helper_specs import helper_spec, helper_specs, protos_for, static_allowed
from kfunclab.verifier.regs import RegType
from kfunclab.verifier.rules.sockets import sock_access_ok

ROOT = Path(__file__).resolve().parent.parent


def _func_ids(btf) -> dict[str, int]:
    return {"bpf_" + k.removeprefix("BPF_FUNC_"): v
            for k, v in btf.enum_values("bpf_func_id").items()
            if k != "BPF_FUNC_unspec" and not k.startswith("__")}


def test_data_covers_every_helper_of_the_bundled_btf() -> None:
    ids = _func_ids(load_btf("bundled"))
    specs = helper_specs()
    assert len(ids) > 200
    missing = sorted(set(ids) - set(specs))
    assert not missing, missing
    for name, func_id in ids.items():
        assert specs[name].id == func_id, name
        assert specs[name].protos, f"{name} has no prototype"


def test_data_covers_every_helper_of_the_running_kernel() -> None:
    if not live_available():
        pytest.skip("no /sys/kernel/btf/vmlinux here")
    btf = load_btf("live")
    ids = _func_ids(btf)
    assert set(ids) <= set(helper_specs()), sorted(set(ids) - set(helper_specs()))
    assert set(HELPER_IDS) == set(helper_specs())


@pytest.mark.parametrize(("helper", "arg", "base", "flags"), [
    ("bpf_map_lookup_elem", 1, "ARG_PTR_TO_MAP_KEY", ()),
    ("bpf_map_update_elem", 2, "ARG_PTR_TO_MAP_VALUE", ()),
    ("bpf_strncmp", 0, "ARG_PTR_TO_MEM", ("MEM_RDONLY",)),
    ("bpf_strncmp", 2, "ARG_PTR_TO_CONST_STR", ()),
    ("bpf_sk_release", 0, "ARG_PTR_TO_BTF_ID_SOCK_COMMON", ("OBJ_RELEASE",)),
    ("bpf_get_current_comm", 0, "ARG_PTR_TO_MEM", ("MEM_UNINIT", "MEM_WRITE")),
    ("bpf_csum_diff", 0, "ARG_PTR_TO_MEM", ("MEM_RDONLY", "PTR_MAYBE_NULL")),
    ("bpf_sk_fullsock", 0, "ARG_PTR_TO_SOCK_COMMON", ()),
    ("bpf_spin_lock", 0, "ARG_PTR_TO_SPIN_LOCK", ()),
    ("bpf_loop", 1, "ARG_PTR_TO_FUNC", ()),
])
def test_argument_kinds_and_flags(helper: str, arg: int, base: str, flags: tuple) -> None:
    proto = helper_spec(helper).protos[0]
    assert proto.args[arg].type == base
    assert set(flags) <= set(proto.args[arg].flags)


def test_return_types() -> None:
    lookup = helper_spec("bpf_map_lookup_elem").protos[0].ret
    assert (lookup.type, lookup.flags) == ("RET_PTR_TO_MAP_VALUE", ("PTR_MAYBE_NULL",))
    assert helper_spec("bpf_sk_lookup_tcp").protos[0].ret.type == "RET_PTR_TO_SOCKET"
    assert helper_spec("bpf_tcp_sock").protos[0].ret.flags == ("PTR_MAYBE_NULL",)
    cast = helper_spec("bpf_skc_to_tcp_sock").protos[0].ret
    assert (cast.type, cast.btf_struct) == ("RET_PTR_TO_BTF_ID", "tcp_sock")
    task = helper_spec("bpf_get_current_task_btf").protos[0].ret
    assert task.btf_struct == "task_struct" and "PTR_TRUSTED" in task.flags


def test_verifier_facts() -> None:
    assert helper_spec("bpf_sk_lookup_udp").acquire
    assert helper_spec("bpf_sk_fullsock").ptr_cast and not helper_spec("bpf_sk_fullsock").acquire
    assert helper_spec("bpf_perf_event_output").map_types == ("perf_event_array",)
    assert helper_spec("bpf_map_lookup_elem").map_types == ()
    assert helper_spec("bpf_copy_from_user").protos[0].might_sleep
    assert helper_spec("bpf_probe_read_kernel").protos[0].gpl_only
    assert helper_spec("bpf_skb_pull_data").changes_pkt_data
    assert not helper_spec("bpf_skb_load_bytes").changes_pkt_data


def test_one_prototype_per_program_type() -> None:
    """bpf_get_stack has a prototype per tracing program type; bpf_sk_lookup_tcp one for tc,
    one for XDP, one for cgroup/sock_addr."""
    assert [p.name for p in protos_for("bpf_get_stack", "tracepoint")] == ["bpf_get_stack_proto_tp"]
    assert [p.name for p in protos_for("bpf_get_stack", "perf_event")] == ["bpf_get_stack_proto_pe"]
    assert [p.name for p in protos_for("bpf_sk_lookup_tcp", "xdp")] == [
        "bpf_xdp_sk_lookup_tcp_proto"]
    assert [p.name for p in protos_for("bpf_sk_lookup_tcp", "sched_cls")] == [
        "bpf_tc_sk_lookup_tcp_proto"]
    assert static_allowed("bpf_sk_fullsock", "cgroup_skb")
    assert not static_allowed("bpf_sk_fullsock", "socket_filter")


def test_static_tables_agree_with_the_running_kernel() -> None:
    ok, why = kernel_available()
    if not ok:
        pytest.skip(why)
    from kfunclab.kernel.probe import ensure_live_profile, read_findings

    findings = read_findings(ensure_live_profile())
    compared = differ = 0
    unexplained = []
    for ptype, allowed in findings.get("helpers", {}).items():
        key = ptype.removeprefix("BPF_PROG_TYPE_").lower()
        for name in helper_specs():
            kernel, static = name in allowed, static_allowed(name, key)
            compared += 1
            if kernel == static:
                continue
            differ += 1
            conds = [p.condition(key) or {} for p in protos_for(name, key)]
            explained = any((c.get("conditional") and not c.get("never_null"))
                            or c.get("config") for c in conds)
            if not explained:
                unexplained.append((name, key, "kernel allows" if kernel else "source allows"))
    assert compared > 3000
    assert not unexplained, unexplained


@pytest.mark.parametrize(("reg_type", "off", "size", "ok"), [
    (RegType.PTR_TO_SOCKET, 4, 4, True),      # family
    (RegType.PTR_TO_SOCKET, 4, 1, True),      # narrow load of family
    (RegType.PTR_TO_SOCKET, 5, 1, False),     # inside family, not at its start
    (RegType.PTR_TO_SOCKET, 16, 2, False),    # mark: 4 bytes only
    (RegType.PTR_TO_SOCKET, 48, 2, True),     # dst_port
    (RegType.PTR_TO_SOCKET, 49, 1, True),
    (RegType.PTR_TO_SOCKET, 50, 2, False),    # the padding after dst_port
    (RegType.PTR_TO_SOCKET, 30, 2, True),     # inside src_ip6
    (RegType.PTR_TO_SOCKET, 80, 4, False),    # past the end
    (RegType.PTR_TO_SOCK_COMMON, 8, 4, False),   # type: not in sock_common
    (RegType.PTR_TO_SOCK_COMMON, 4, 4, True),
    (RegType.PTR_TO_TCP_SOCK, 80, 8, True),   # bytes_received
    (RegType.PTR_TO_TCP_SOCK, 80, 4, False),
    (RegType.PTR_TO_TCP_SOCK, 96, 8, False),
    (RegType.PTR_TO_TCP_SOCK, 108, 4, True),  # icsk_retransmits, the last field
    (RegType.PTR_TO_XDP_SOCK, 0, 4, True),
    (RegType.PTR_TO_XDP_SOCK, 4, 4, False),
])
def test_sock_field_access(reg_type: RegType, off: int, size: int, ok: bool) -> None:
    assert sock_access_ok(reg_type, off, size) is ok


def test_generator_reads_a_source_tree(tmp_path: Path) -> None:
    """scripts/gen_helper_protos.py on a tiny tree of its own: aliases, flags, tables."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import gen_helper_protos as gen
    finally:
        sys.path.pop(0)
    (tmp_path / "include/linux").mkdir(parents=True)
    (tmp_path / "kernel/bpf").mkdir(parents=True)
    (tmp_path / "include/linux/bpf.h").write_text(
        "enum bpf_arg_type {\n\tARG_PTR_TO_MEM,\n"
        "\tARG_PTR_TO_UNINIT_MEM = MEM_UNINIT | MEM_WRITE | ARG_PTR_TO_MEM,\n};\n"
        "enum bpf_return_type {\n\tRET_PTR_TO_SOCKET,\n"
        "\tRET_PTR_TO_SOCKET_OR_NULL = PTR_MAYBE_NULL | RET_PTR_TO_SOCKET,\n};\n")
    (tmp_path / "include/linux/btf_ids.h").write_text("")
    (tmp_path / "include/linux/bpf_types.h").write_text(
        "BPF_PROG_TYPE(BPF_PROG_TYPE_XDP, xdp, struct xdp_md, struct xdp_buff)\n")
    (tmp_path / "Makefile").write_text("VERSION = 9\nPATCHLEVEL = 1\nSUBLEVEL = 0\n")
    (tmp_path / "kernel/bpf/x.c").write_text(
        "static const struct bpf_func_proto bpf_get_current_comm_proto = {\n"
        "\t.func = bpf_get_current_comm,\n\t.ret_type = RET_PTR_TO_SOCKET_OR_NULL,\n"
        "\t.arg1_type = ARG_PTR_TO_UNINIT_MEM,\n};\n"
        "static const struct bpf_func_proto *\n"
        "xdp_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)\n{\n"
        "\tswitch (func_id) {\n\tcase BPF_FUNC_get_current_comm:\n"
        "\t\treturn &bpf_get_current_comm_proto;\n\tdefault:\n\t\treturn NULL;\n\t}\n}\n"
        "const struct bpf_verifier_ops xdp_verifier_ops = {\n"
        "\t.get_func_proto = xdp_func_proto,\n};\n")
    (tmp_path / "kernel/bpf/verifier.c").write_text(
        "static bool is_acquire_function(int func_id)\n{\n"
        "\tif (func_id == BPF_FUNC_get_current_comm)\n\t\treturn true;\n\treturn false;\n}\n"
        "static int check_map_func_compatibility(int func_id)\n{\n\tswitch (func_id) {\n"
        "\tcase BPF_FUNC_get_current_comm:\n"
        "\t\tif (map->map_type != BPF_MAP_TYPE_RINGBUF)\n\t\t\tgoto error;\n\t\tbreak;\n"
        "\tdefault:\n\t\tbreak;\n\t}\n}\n")
    out = tmp_path / "out.json"
    argv = sys.argv
    sys.argv = ["gen", str(tmp_path), "--out", str(out)]
    try:
        gen.main()
    finally:
        sys.argv = argv
    data = json.loads(out.read_text())
    assert data["kernel"] == "9.1.0"
    comm = data["helpers"]["bpf_get_current_comm"]
    assert comm["acquire"] and comm["map_types"] == ["ringbuf"]
    assert list(comm["protos"]) == ["bpf_get_current_comm_proto"]
    assert list(comm["protos"]["bpf_get_current_comm_proto"]["prog_types"]) == ["xdp"]
    proto = data["protos"]["bpf_get_current_comm_proto"]
    assert proto["args"] == [{"type": "ARG_PTR_TO_MEM", "flags": ["MEM_UNINIT", "MEM_WRITE"]}]
    assert proto["ret"] == {"type": "RET_PTR_TO_SOCKET", "flags": ["PTR_MAYBE_NULL"]}


def _cond(helper: str, prog_type: str, proto: str | None = None) -> dict:
    found = [p for p in protos_for(helper, prog_type) if proto is None or p.name == proto]
    assert found, (helper, prog_type, proto)
    return found[0].condition(prog_type) or {}


def test_conditions_read_from_the_source() -> None:
    """What decides a case of a get_func_proto() table, as the 6.18 source writes it."""
    assert _cond("bpf_copy_from_user", "sched_cls")["cap"] == "CAP_PERFMON"
    assert _cond("bpf_task_storage_get", "xdp")["cap"] == "CAP_BPF"
    assert "cap" not in _cond("bpf_map_lookup_elem", "xdp")
    assert _cond("bpf_probe_write_user", "kprobe")["cap"] == "CAP_SYS_ADMIN"
    assert _cond("bpf_sys_bpf", "syscall") == {"cap": "CAP_PERFMON"}  # `!capable ? NULL : &p`
    # prog->sleepable ? &bpf_get_task_stack_sleepable_proto : &bpf_get_task_stack_proto
    assert _cond("bpf_get_task_stack", "xdp", "bpf_get_task_stack_sleepable_proto")[
        "sleepable"] is True
    assert _cond("bpf_get_task_stack", "xdp", "bpf_get_task_stack_proto")["sleepable"] is False
    # a nested switch on the attach type, an `== BPF_X ?`, bpf_prog_has_trampoline()
    assert _cond("bpf_bind", "cgroup_sock_addr")["attach"] == ["CGROUP_INET4_CONNECT",
                                                               "CGROUP_INET6_CONNECT"]
    assert "CGROUP_INET_INGRESS" in _cond("bpf_get_retval", "cgroup_skb")["attach_not"]
    assert _cond("bpf_get_retval", "lsm")["attach"] == ["LSM_CGROUP"]
    assert _cond("bpf_seq_write", "tracing")["attach"] == ["TRACE_ITER"]
    assert _cond("bpf_get_func_arg", "tracing")["attach"] == ["TRACE_FENTRY", "TRACE_FEXIT",
                                                              "MODIFY_RETURN"]
    assert _cond("bpf_get_func_arg", "syscall")["attach"] == []
    assert _cond("bpf_getsockopt", "lsm")["attach_only"] == ["LSM_CGROUP"]
    assert _cond("bpf_probe_read_kernel", "xdp")["lockdown"] is True
    assert _cond("bpf_task_storage_get", "kprobe")["never_null"] is True  # recur or not
    # a getter called with func_id (bpf_get_skb_set_tunnel_proto)
    assert static_allowed("bpf_skb_set_tunnel_key", "sched_cls")
