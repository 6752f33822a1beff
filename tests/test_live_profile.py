"""Every kernel build: type ids by name, the bpf_rdonly_cast type rule, and the ``live`` profile.

The offline half runs everywhere (bundled BTF, synthetic probe findings); the live half asks
the running kernel now and skips, with the reason, where it cannot be asked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kfunclab.btf import load_btf
from kfunclab.errors import CatalogError, ParseError
from kfunclab.isa.parser import parse_program
from kfunclab.kernel import kernel_available
from kfunclab.kfuncs import get_profile
from kfunclab.kfuncs.live import FORMAT, load_live_profile, profile_from_findings
from kfunclab.verifier import verify, verify_text

BUNDLED = load_btf("bundled")
KERNEL_OK, WHY = kernel_available()
ROOT = Path(__file__).resolve().parent.parent


def _cast(type_text: str, section: str = "socket") -> str:
    return (f'# SEC("{section}")\n\tr1 = 0\n\tr2 = {type_text}\n\tcall bpf_rdonly_cast\n'
            "\tr0 = 0\n\texit\n")


# --- bpf_core_type_id_kernel(...) ----------------------------------------------------------------

def test_type_id_is_read_with_its_position_and_left_zero_until_resolved() -> None:
    prog = parse_program(_cast("bpf_core_type_id_kernel(struct cgroup)"), "t.s")
    (ref,) = prog.type_ids
    assert (ref.slot, ref.kind, ref.name, ref.line, ref.col) == (1, "struct", "cgroup", 3, 7)
    assert prog.insns[1].imm == 0 and ref.text == "bpf_core_type_id_kernel(struct cgroup)"


@pytest.mark.parametrize(("spelled", "kind", "name"), [
    ("struct task_struct", "STRUCT", "task_struct"),
    ("union bpf_attr", "UNION", "bpf_attr"),
    ("enum bpf_map_type", "ENUM", "bpf_map_type"),
    ("typedef u32", "TYPEDEF", "u32"),
    ("task_struct", "STRUCT", "task_struct"),
])
def test_type_id_resolves_against_the_btf_in_use(spelled: str, kind: str, name: str) -> None:
    result = verify_text(_cast(f"bpf_core_type_id_kernel({spelled})"), btf="bundled")
    assert result.program.insns[1].imm == BUNDLED.find(name, kind)[0]


def test_type_id_in_any_immediate_slot() -> None:
    text = ('# SEC("socket")\n\tr2 = 0\n\tr2 += bpf_core_type_id_kernel(struct cgroup)\n'
            "\tif r2 == bpf_core_type_id_kernel(struct cgroup) goto +0\n"
            "\t*(u64 *)(r10 - 8) = bpf_core_type_id_kernel(struct cgroup)\n\tr0 = 0\n\texit\n")
    prog = verify_text(text, btf="bundled").program
    cgroup = BUNDLED.find("cgroup", "STRUCT")[0]
    assert [prog.insns[r.slot].imm for r in prog.type_ids] == [cgroup, cgroup, cgroup]


@pytest.mark.parametrize(("text", "col", "expected"), [
    ("\tr2 = bpf_core_type_id_kernel(struct)\n", 7, "expected bpf_core_type_id_kernel(struct"),
    ("\tr2 = -bpf_core_type_id_kernel(struct cgroup)\n", 8, "as a whole immediate"),
    ("\tr2 = bpf_core_type_id_kernel(struct a) + bpf_core_type_id_kernel(struct b)\n", 43,
     "expected one bpf_core_type_id_kernel"),
])
def test_malformed_type_id_names_line_and_column(text: str, col: int, expected: str) -> None:
    with pytest.raises(ParseError) as err:
        parse_program('# SEC("socket")\n' + text + "\texit\n", "t.s")
    assert (err.value.line, err.value.col) == (2, col)
    assert expected in err.value.message


def test_unknown_type_name_is_an_input_error_at_its_position() -> None:
    with pytest.raises(ParseError) as err:
        verify_text(_cast("bpf_core_type_id_kernel(struct no_such_struct)"), "t.s",
                    btf="bundled")
    assert str(err.value) == ("t.s:3:7: error: bpf_core_type_id_kernel(struct no_such_struct): "
                              "no type 'struct no_such_struct' in the BTF in use")


def test_type_id_without_btf_is_an_input_error() -> None:
    with pytest.raises(ParseError, match="needs the kernel's BTF"):
        verify_text(_cast("bpf_core_type_id_kernel(struct cgroup)"), btf=None)


def test_log_prints_the_resolved_number_and_asm_names_it(tmp_path: Path) -> None:
    cgroup = BUNDLED.find("cgroup", "STRUCT")[0]
    result = verify_text(_cast("bpf_core_type_id_kernel(struct cgroup)"), btf="bundled",
                         log_level=2)
    assert f"1: (b7) r2 = {cgroup}" in result.log
    path = tmp_path / "t.s"
    path.write_text(_cast("bpf_core_type_id_kernel(struct cgroup)"))
    out = subprocess.run([sys.executable, "-m", "kfunclab.cli", "asm", str(path), "--btf",
                          "bundled"], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[1] == f"r2 = {cgroup}    # bpf_core_type_id_kernel(struct cgroup)"


# --- bpf_rdonly_cast: a struct, a union or void, nothing else ------------------------------------

CAST_CASES = [
    ("bpf_core_type_id_kernel(struct cgroup)", None),
    ("bpf_core_type_id_kernel(union bpf_attr)", None),
    ("0", None),
    ("bpf_core_type_id_kernel(typedef u32)",
     "kfunc bpf_rdonly_cast type ID argument must be of a struct or void"),
    ("bpf_core_type_id_kernel(enum bpf_map_type)",
     "kfunc bpf_rdonly_cast type ID argument must be of a struct or void"),
    ("-1", "Unknown type ID -1 passed to kfunc bpf_rdonly_cast"),
    ("99999999", "Unknown type ID 99999999 passed to kfunc bpf_rdonly_cast"),
]


@pytest.mark.parametrize(("type_text", "error"), CAST_CASES)
def test_rdonly_cast_type_rule(type_text: str, error: str | None) -> None:
    """check_special_kfunc(): btf_type_is_struct() (struct or union) or void; modifiers and
    typedefs are not skipped; an id past the BTF is "Unknown type ID %lld"."""
    result = verify_text(_cast(type_text), btf="bundled", profile="linux-6.18")
    assert (result.error.message if result.error else None) == error


def test_rdonly_cast_of_a_const_struct_is_refused() -> None:
    const_id = next(i for i in range(1, len(BUNDLED)) if BUNDLED.raw.kinds[i]
                    and BUNDLED.kind_name(i) == "CONST")
    result = verify_text(_cast(str(const_id)), btf="bundled")
    assert result.error.message == ("kfunc bpf_rdonly_cast type ID argument must be of a struct "
                                    "or void")


def test_rdonly_cast_without_btf_is_unsupported_not_a_guess() -> None:
    result = verify_text(_cast("5"), btf=None)
    assert result.verdict.value == "unsupported"
    assert "needs the kernel's BTF" in result.error.message


@pytest.mark.kernel
@pytest.mark.skipif(not KERNEL_OK, reason=WHY)
@pytest.mark.parametrize(("type_text", "error"), CAST_CASES)
def test_rdonly_cast_type_rule_is_the_running_kernels(type_text: str, error: str | None,
                                                      live_profile: object) -> None:
    from kfunclab.kernel import kernel_verdict

    kernel = kernel_verdict(parse_program(_cast(type_text)))
    ours = verify_text(_cast(type_text), btf="live", profile=live_profile)
    assert (kernel.verdict, kernel.error) == (ours.verdict.value,
                                              ours.error.message if ours.error else None)


# --- the live profile from probe findings (synthetic: runs everywhere) ---------------------------

def _findings(**changes: object) -> dict:
    base = {"format": FORMAT, "kernel_release": "6.18.0-test", "base": "linux-6.18",
            "switches": {}, "helpers": {}, "kfuncs": {}, "assumed": ["nothing else"]}
    base.update(changes)
    return base


STACK_TO_XDP_MD = """# SEC("tc")
	r1 = 0
	*(u64 *)(r10 - 48) = r1
	*(u64 *)(r10 - 40) = r1
	*(u64 *)(r10 - 32) = r1
	*(u64 *)(r10 - 24) = r1
	*(u64 *)(r10 - 16) = r1
	r1 = r10
	r1 += -48
	r2 = r10
	r2 += -48
	r3 = 12
	r4 = r10
	r4 += -16
	r5 = 16
	call bpf_xdp_ct_lookup     # a stack buffer for struct xdp_md *
	if r0 == 0 goto out
	r1 = r0
	call bpf_ct_release
out:
	r0 = 0
	exit
"""

RCU_TO_FLAGLESS = """# SEC("tp_btf/task_newtask")
	r1 = *(u64 *)(r1 + 0)
	r1 = *(u64 *)(r1 + {cgroups})
	r1 = *(u64 *)(r1 + {dfl})
	r2 = 0
	call css_rstat_updated     # an RCU pointer to a kfunc without KF_TRUSTED_ARGS
	r0 = 0
	exit
"""


def _offset(struct: str, member: str) -> int:
    sid = BUNDLED.struct_id(struct)
    return next(m.byte_offset for m in BUNDLED.struct_members(sid) if m.name == member)


def _switch(name: str, value: bool) -> dict:
    return {"switches": {name: {"value": value, "evidence": "synthetic"}}}


def test_findings_make_a_profile_on_the_named_base() -> None:
    live = profile_from_findings(_findings(**_switch("trusted_args_default", True)))
    base = get_profile("linux-6.18")
    assert (live.name, live.kernel_release, live.trusted_args_default) == ("live", "6.18.0-test",
                                                                          True)
    assert live.hook_map == base.hook_map and live.flags == base.flags
    assert "nothing else" in live.assumptions
    assert any(p.startswith("trusted_args_default = True") for p in live.probed)


@pytest.mark.parametrize("bad", [5, [], {"format": 0}, {"format": FORMAT, "base": "linux-9"},
                                 {"format": FORMAT, "switches": []},
                                 {"format": FORMAT, "helpers": {"BPF_PROG_TYPE_XDP": "bpf_x"}}])
def test_bad_findings_are_a_catalog_error(bad: object) -> None:
    with pytest.raises(CatalogError):
        profile_from_findings(bad)


def test_load_live_profile_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "live.json"
    path.write_text(json.dumps(_findings(**_switch("trusted_struct_args", True))))
    assert load_live_profile(path).trusted_struct_args
    path.write_text("{not json")
    with pytest.raises(CatalogError, match="cannot read it"):
        load_live_profile(path)


@pytest.mark.parametrize(("switch", "text", "error"), [
    ("trusted_struct_args", STACK_TO_XDP_MD, "R1 must be referenced or trusted"),
    ("trusted_args_default", RCU_TO_FLAGLESS, "R1 must be referenced or trusted"),
])
def test_each_switch_changes_the_verdict(switch: str, text: str, error: str) -> None:
    text = text.format(cgroups=_offset("task_struct", "cgroups"), dfl=_offset("css_set",
                                                                              "dfl_cgrp"))
    # trusted struct arguments only matter where arguments are trusted at all
    base = {} if switch == "trusted_args_default" else {"trusted_args_default": {"value": True}}
    off = verify_text(text, btf="bundled",
                      profile=profile_from_findings(_findings(switches=base)))
    on = verify_text(text, btf="bundled", profile=profile_from_findings(_findings(
        switches={**base, switch: {"value": True}})))
    assert off.verdict.value == "accept"
    assert (on.verdict.value, on.error.message) == ("reject", error)


def test_probed_helper_table_decides_availability() -> None:
    text = '# SEC("socket")\n\tcall bpf_get_prandom_u32\n\tr0 = 0\n\texit\n'
    allowed = profile_from_findings(_findings(helpers={
        "BPF_PROG_TYPE_SOCKET_FILTER": ["bpf_get_prandom_u32"]}))
    refused = profile_from_findings(_findings(helpers={"BPF_PROG_TYPE_SOCKET_FILTER": []}))
    assert verify_text(text, btf="bundled", profile=allowed).verdict.value == "accept"
    got = verify_text(text, btf="bundled", profile=refused)
    assert got.error.message == "program of this type cannot use helper bpf_get_prandom_u32#7"
    # a program type the probe did not reach keeps the model's own table
    assert refused.helper_allowed("bpf_get_prandom_u32", "BPF_PROG_TYPE_LSM") is None


def test_probed_kfunc_visibility_and_sleepability_win_over_the_catalogue() -> None:
    text = '# SEC("syscall")\n\tr1 = 1\n\tcall bpf_task_from_pid\n\tr0 = 0\n\texit\n'
    hidden = profile_from_findings(_findings(kfuncs={
        "bpf_task_from_pid": {"prog_types": ["BPF_PROG_TYPE_XDP"], "sleepable": False}}))
    got = verify_text(text, btf="bundled", profile=hidden)
    assert got.error.message == "calling kernel function bpf_task_from_pid is not allowed"
    tc = text.replace('"syscall"', '"tc"')
    sleepy = profile_from_findings(_findings(kfuncs={
        "bpf_task_from_pid": {"prog_types": ["BPF_PROG_TYPE_SCHED_CLS"], "sleepable": True}}))
    got = verify_text(tc, btf="bundled", profile=sleepy)
    assert got.error.message == ("program must be sleepable to call sleepable kfunc "
                                 "bpf_task_from_pid")
    conditional = profile_from_findings(_findings(kfuncs={
        "bpf_task_from_pid": {"prog_types": [], "conditional": "needs something"}}))
    assert conditional.kfunc_visible("bpf_task_from_pid", "BPF_PROG_TYPE_SYSCALL") is None


# --- the running kernel, probed now ---------------------------------------------------------------

@pytest.fixture(scope="module")
def findings() -> dict:
    if not KERNEL_OK:
        pytest.skip(WHY)
    from kfunclab.kernel.probe import ensure_live_profile, read_findings

    return read_findings(ensure_live_profile())


@pytest.mark.kernel
def test_probe_reaches_the_loadable_program_types(findings: dict) -> None:
    assert len(findings["helpers"]) >= 20
    assert "bpf_map_lookup_elem" in findings["helpers"]["BPF_PROG_TYPE_SOCKET_FILTER"]
    assert "bpf_task_acquire" in findings["kfuncs"]
    assert "BPF_PROG_TYPE_SYSCALL" in findings["kfuncs"]["bpf_task_from_pid"]["prog_types"]
    assert all(f["holds"] for f in findings["facts"]), findings["facts"]
    assert any("LSM" in a for a in findings["assumed"])


@pytest.mark.kernel
def test_each_switch_is_what_its_probe_program_shows(findings: dict,
                                                     live_profile: object) -> None:
    """The switch the probe recorded reproduces the kernel's answer on the probe program."""
    from kfunclab.kernel import kernel_verdict
    from kfunclab.kernel.probe import SWITCH_PROBES
    from kfunclab.kernel.verdict import live_btf

    for probe in SWITCH_PROBES:
        text = probe.program(live_btf())
        if text is None:
            continue
        kernel = kernel_verdict(parse_program(text))
        ours = verify(parse_program(text), btf="live", profile=live_profile)
        assert (kernel.verdict, kernel.error) == (ours.verdict.value,
                                                  ours.error.message if ours.error else None)
        assert getattr(live_profile, probe.switch) == findings["switches"][probe.switch]["value"]


@pytest.mark.kernel
def test_probe_diff_names_every_difference_it_found(findings: dict) -> None:
    from kfunclab.kernel.probe import diff_lines

    out = subprocess.run([sys.executable, "-m", "kfunclab.cli", "probe", "--diff",
                          "linux-6.18"], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout
    for answer in findings["switches"].values():
        assert (answer["meaning"] in out) == (answer["value"] != answer["upstream"])
    for line in diff_lines(findings):
        assert line in out
    live = load_btf("live")
    if live.find("cgroup", "STRUCT") != BUNDLED.find("cgroup", "STRUCT"):
        assert "struct cgroup is type id" in out


@pytest.mark.kernel
def test_cli_default_profile_is_live_where_the_kernel_can_be_probed(findings: dict,
                                                                     tmp_path: Path) -> None:
    path = tmp_path / "t.s"
    path.write_text('# SEC("xdp")\n\tr0 = 2\n\texit\n')
    out = subprocess.run([sys.executable, "-m", "kfunclab.cli", "verify", "--json", str(path)],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert json.loads(out)["profile"] == "live"


def test_views_show_the_type_name_beside_the_resolved_id() -> None:
    from kfunclab.viz import html, text

    prog = verify_text(_cast("bpf_core_type_id_kernel(struct cgroup)"), btf="bundled").program
    cgroup = BUNDLED.find("cgroup", "STRUCT")[0]
    want = f"r2 = {cgroup}  # bpf_core_type_id_kernel(struct cgroup)"
    assert text.insn_text(prog, 1) == want
    assert html.insn_text(prog, 1) == want


def test_stored_probe_example_names_the_builds_differences() -> None:
    """The probe of the patched 6.18.44 build kept in the package (notebook 11 shows it where no
    kernel can be asked): its diff names the three things that build does differently."""
    from kfunclab.kernel.probe import EXAMPLE, diff_lines, read_findings

    findings = read_findings(EXAMPLE)
    lines = diff_lines(findings)
    assert any("kfuncs without KF_TRUSTED_ARGS still demand trusted" in d for d in lines)
    assert any("must be a trusted pointer here" in d for d in lines)
    cgroup_here = findings["type_ids"]["cgroup"]
    assert f"struct cgroup is type id {cgroup_here} here, 969 in the bundled snapshot" in "\n".join(
        lines)
    probed = profile_from_findings(findings)
    assert (probed.trusted_args_default, probed.trusted_struct_args) == (True, True)
