"""Offline checks of the bpf(2) wrapper: attr layouts, capabilities, log summarising."""

from __future__ import annotations

import ctypes

import pytest

from kfunclab.errors import KfunclabError
from kfunclab.kernel import bpf
from kfunclab.kernel.verdict import error_line, summary_stats

# Offsets from include/uapi/linux/bpf.h (union bpf_attr), as the kernel reads them.
PROG_LOAD_OFFSETS = {
    "prog_type": 0, "insn_cnt": 4, "insns": 8, "license": 16, "log_level": 24, "log_size": 28,
    "log_buf": 32, "kern_version": 40, "prog_flags": 44, "prog_name": 48, "prog_ifindex": 64,
    "expected_attach_type": 68, "prog_btf_fd": 72, "func_info_rec_size": 76, "func_info": 80,
    "func_info_cnt": 88, "line_info_rec_size": 92, "line_info": 96, "line_info_cnt": 104,
    "attach_btf_id": 108, "attach_prog_fd": 112, "core_relo_cnt": 116, "fd_array": 120,
    "core_relos": 128, "core_relo_rec_size": 136, "log_true_size": 140, "prog_token_fd": 144,
    "fd_array_cnt": 148,
}
BTF_LOAD_OFFSETS = {
    "btf": 0, "btf_log_buf": 8, "btf_size": 16, "btf_log_size": 20, "btf_log_level": 24,
    "btf_log_true_size": 28, "btf_flags": 32, "btf_token_fd": 36,
}
MAP_CREATE_OFFSETS = {
    "map_type": 0, "key_size": 4, "value_size": 8, "max_entries": 12, "map_flags": 16,
    "inner_map_fd": 20, "numa_node": 24, "map_name": 28, "map_ifindex": 44, "btf_fd": 48,
    "btf_key_type_id": 52, "btf_value_type_id": 56, "btf_vmlinux_value_type_id": 60,
    "map_extra": 64, "value_type_btf_obj_fd": 72, "map_token_fd": 76,
}


@pytest.mark.parametrize(
    ("struct_type", "offsets", "size"),
    [
        (bpf.ProgLoadAttr, PROG_LOAD_OFFSETS, 152),
        (bpf.BtfLoadAttr, BTF_LOAD_OFFSETS, 40),
        (bpf.MapCreateAttr, MAP_CREATE_OFFSETS, 80),
    ],
)
def test_attr_layout_matches_uapi(struct_type, offsets, size):
    assert ctypes.sizeof(struct_type) == size
    assert {name: getattr(struct_type, name).offset for name in offsets} == offsets


def test_prog_load_attr_packs_little_endian_fields():
    attr = bpf.ProgLoadAttr(prog_type=26, insn_cnt=3, prog_flags=bpf.BPF_F_SLEEPABLE,
                            prog_name=b"main", expected_attach_type=24, attach_btf_id=1234)
    raw = bytes(attr)
    assert raw[0:8] == bytes.fromhex("1a000000" "03000000")
    assert raw[44:48] == bytes.fromhex("10000000")  # BPF_F_SLEEPABLE is bit 4
    assert raw[48:64] == b"main" + bytes(12)
    assert raw[68:72] == (24).to_bytes(4, "little")
    assert raw[108:112] == (1234).to_bytes(4, "little")


def test_map_create_attr_name_and_btf_ids():
    attr = bpf.MapCreateAttr(map_type=2, key_size=4, value_size=16, max_entries=1,
                             map_name=b"slots", btf_fd=7, btf_key_type_id=3,
                             btf_value_type_id=2)
    raw = bytes(attr)
    assert raw[28:44] == b"slots" + bytes(11)
    assert raw[48:60] == bytes.fromhex("07000000" "03000000" "02000000")


def test_syscall_numbers_by_machine():
    assert bpf.SYS_BPF == {"x86_64": 321, "aarch64": 280}


@pytest.mark.parametrize(
    ("name", "number"),
    [("cap_net_admin", 12), ("CAP_SYS_ADMIN", 21), ("sys_boot", 22), ("cap_perfmon", 38),
     ("cap_bpf", 39)],
)
def test_capability_numbers(name, number):
    assert bpf.capability_number(name) == number


def test_unknown_capability_is_refused():
    with pytest.raises(KfunclabError, match="unknown capability 'cap_flying'"):
        bpf.capability_number("cap_flying")


def test_command_error_names_errno():
    err = bpf.BpfCommandError("BPF_MAP_CREATE slots", 22)
    assert str(err) == "BPF_MAP_CREATE slots failed: errno 22 (EINVAL)"
    assert err.errno == 22


def test_child_drops_effective_caps_and_reports_back():
    # dropping capabilities from one's own effective set needs no privilege
    before = bpf.effective_caps()
    out = bpf.run_without_caps(["cap_sys_boot"], lambda: {"eff": bpf.effective_caps()})
    assert out["eff"] == before & ~(1 << 22)
    assert bpf.effective_caps() == before  # the parent keeps its capabilities


def test_child_exception_comes_back_as_error():
    def boom() -> dict:
        raise ValueError("no luck")

    with pytest.raises(KfunclabError, match="ValueError: no luck"):
        bpf.run_without_caps(["cap_sys_boot"], boom)


LEAK_LOG = """\
6: (95) exit
Unreleased reference id=2 alloc_insn=1
BPF_EXIT instruction in main prog would lead to reference leak
processed 7 insns (limit 1000000) max_states_per_insn 1 total_states 3 peak_states 3 mark_read 1
"""


def test_error_is_last_line_before_summary():
    assert error_line(LEAK_LOG, 22) == (
        "BPF_EXIT instruction in main prog would lead to reference leak")
    assert summary_stats(LEAK_LOG) == (7, 1, 3, 3)


def test_error_skips_stack_depth_and_time_lines():
    log = "R1 invalid mem access 'scalar'\nverification time 12 usec\nstack depth 8\n"
    assert error_line(log, 13) == "R1 invalid mem access 'scalar'"
    assert summary_stats(log) is None


def test_empty_log_convention():
    assert error_line("", 1) == "errno 1 (EPERM), empty verifier log"
    assert error_line("\n", 13) == "errno 13 (EACCES), empty verifier log"


def test_object_names_are_made_kernel_safe():
    assert bpf.object_name("leak-in-loop.s") == b"leak_in_loop.s"
    assert bpf.object_name("a_very_long_program_name") == b"a_very_long_pro"  # 15 + NUL
