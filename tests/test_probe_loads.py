"""What a kernel build refuses to load at all (program types, iterator targets), and the
sleepable-map check of check_map_prog_compatibility().

The offline half runs everywhere on synthetic probe findings (a build that leaves out lirc_mode2
and refuses the sockmap iterator without a message, as one patched 6.18.44 build does); the live
half asks the running kernel now, compares kfunclab's ``live`` answers with the kernel's, and
skips, with the reason, where the kernel cannot be asked. Nothing here pins this build's answers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kfunclab.btf import load_btf
from kfunclab.errors import CatalogError
from kfunclab.isa.parser import parse_program
from kfunclab.isa.program import MapDecl, TypeRef
from kfunclab.kernel import kernel_available
from kfunclab.kernel.probe_loads import (
    LOAD_SECTIONS,
    UPSTREAM_SLEEPABLE_MAP_MESSAGE,
    classify_log,
    iter_targets,
    load_diff_lines,
)
from kfunclab.kfuncs import get_profile
from kfunclab.kfuncs.live import FORMAT, profile_from_findings
from kfunclab.progtypes import program_type
from kfunclab.verifier import messages as msg
from kfunclab.verifier import verify, verify_text
from kfunclab.verifier.env import Unsupported
from kfunclab.verifier.mapcompat import sleepable_map_refusal
from kfunclab.verifier.probed_loads import probed_refusal, refusal_key

KERNEL_OK, WHY = kernel_available()
BUILD_MESSAGE = UPSTREAM_SLEEPABLE_MAP_MESSAGE + ", also as inner maps"


def _minimal(section: str, body: str = "\tr0 = 0\n\texit\n") -> str:
    return f'# SEC("{section}")\n{body}'


def _sleepable_map(section: str, map_type: str) -> str:
    return (f'# SEC("{section}")\n# MAP: m {map_type} key=u32 value=u32 max_entries=1\n'
            "\tr1 = m ll\n\tr0 = 0\n\texit\n")


# a build like the patched 6.18.44 one: lirc_mode2 left out, the sockmap iterator refused
FINDINGS = {
    "format": FORMAT, "kernel_release": "6.18.0-test", "base": "linux-6.18",
    "loads": {
        "BPF_PROG_TYPE_LIRC_MODE2": {"section": "lirc_mode2", "loads": False, "errno": 22,
                                     "errno_name": "EINVAL", "log": "empty"},
        "BPF_PROG_TYPE_XDP": {"section": "xdp", "loads": True},
        "iter/sockmap": {"section": "iter/sockmap", "loads": False, "errno": 1,
                         "errno_name": "EPERM", "log": "silent"},
        "iter/task": {"section": "iter/task", "loads": True},
        "iter/weird": {"section": "iter/weird", "loads": False, "errno": 22, "log": "message",
                       "message": "something"},
    },
    "sleepable_maps": {"section": "syscall", "kernel_said": BUILD_MESSAGE},
}
PROBED = profile_from_findings(FINDINGS)
UPSTREAM = get_profile("linux-6.18")


# --- offline: the probe's findings as a profile ---------------------------------------------

def test_findings_keep_only_the_refusals_without_a_message() -> None:
    assert PROBED.load_refusals == (("BPF_PROG_TYPE_LIRC_MODE2", 22, "empty"),
                                    ("iter/sockmap", 1, "silent"))
    assert PROBED.sleepable_map_message == BUILD_MESSAGE
    assert any("2 refused" in p for p in PROBED.probed)
    assert UPSTREAM.load_refusals == () and UPSTREAM.sleepable_map_message is None


def test_refusal_key_names_the_iterator_target() -> None:
    assert refusal_key(program_type("iter/sockmap")) == "iter/sockmap"
    assert refusal_key(program_type("iter.s/task")) == "iter/task"
    assert refusal_key(program_type("lirc_mode2")) == "BPF_PROG_TYPE_LIRC_MODE2"
    assert probed_refusal(PROBED, program_type("iter/sockmap")) == (1, "silent")
    assert probed_refusal(PROBED, program_type("iter/task")) is None


def test_a_left_out_program_type_is_refused_before_anything_under_the_probed_profile() -> None:
    # an unreachable instruction (check_cfg) does not come first: bpf_prog_load() refused
    text = _minimal("lirc_mode2", "\tr0 = 0\n\texit\n\tr0 = 1\n\texit\n")
    got = verify_text(text, btf="bundled", profile=PROBED)
    assert (got.verdict.value, got.error.message, got.error.errno) == (
        "reject", "errno 22 (EINVAL), empty verifier log", 22)
    assert got.stats.processed_insns == 0  # the walk never began
    assert verify_text(_minimal("lirc_mode2"), btf="bundled",
                       profile=UPSTREAM).verdict.value == "accept"


@pytest.mark.parametrize(("level", "error"), [(1, "errno 1 (EPERM), empty verifier log"),
                                              (2, "func#0 @0")])
def test_a_refused_iterator_target_is_refused_in_check_attach_btf_id(level: int,
                                                                     error: str) -> None:
    got = verify_text(_minimal("iter/sockmap"), btf="bundled", profile=PROBED, log_level=level)
    assert (got.verdict.value, got.error.message, got.error.errno) == ("reject", error, 1)
    if level == 2:
        assert got.log_lines[0] == "func#0 @0" and got.log_lines[1].startswith("processed 0")
    # the other targets load; upstream loads them all
    assert verify_text(_minimal("iter/task"), btf="bundled", profile=PROBED).verdict.value \
        == "accept"
    assert verify_text(_minimal("iter/sockmap"), btf="bundled",
                       profile=UPSTREAM).verdict.value == "accept"


def test_a_silent_refusal_comes_after_the_static_checks() -> None:
    got = verify_text(_minimal("iter/sockmap", "\tr0 = 0\n\texit\n\tr0 = 1\n\texit\n"),
                      btf="bundled", profile=PROBED)
    assert got.error.message == "unreachable insn 2"


# --- offline: sleepable programs and map types ------------------------------------------------

@pytest.mark.parametrize(("section", "map_type", "error"), [
    ("syscall", "prog_array", UPSTREAM_SLEEPABLE_MAP_MESSAGE),
    ("iter.s/task", "perf_event_array", UPSTREAM_SLEEPABLE_MAP_MESSAGE),
    ("syscall", "array", None),
    ("syscall", "hash", None),
    ("iter.s/task", "ringbuf", None),
    ("iter/task", "prog_array", None),  # not sleepable
])
def test_sleepable_programs_use_only_some_map_types(section: str, map_type: str,
                                                    error: str | None) -> None:
    got = verify_text(_sleepable_map(section, map_type), btf="bundled", profile=UPSTREAM)
    assert (got.error.message if got.error else None) == error
    if error is not None:
        assert (got.error.errno, got.error.insn, got.stats.processed_insns) == (22, None, 0)
        probed = verify_text(_sleepable_map(section, map_type), btf="bundled", profile=PROBED)
        assert probed.error.message == BUILD_MESSAGE


def test_upstream_message_is_the_verifiers() -> None:
    assert msg.SLEEPABLE_MAP_TYPES == UPSTREAM_SLEEPABLE_MAP_MESSAGE


def test_a_build_that_checks_inner_maps_is_unsupported_not_guessed() -> None:
    u32 = TypeRef("u32", 4)
    outer = MapDecl("outer", "array_of_maps", u32, u32,
                    inner=MapDecl("inner", "prog_array", u32, u32))
    assert sleepable_map_refusal(outer) is None  # upstream 6.18 checks the outer map only
    with pytest.raises(Unsupported, match="inner maps"):
        sleepable_map_refusal(outer, BUILD_MESSAGE)
    fine = MapDecl("outer", "hash_of_maps", u32, u32, inner=MapDecl("inner", "array", u32, u32))
    assert sleepable_map_refusal(fine, BUILD_MESSAGE) is None


# --- offline: the probe's pieces -----------------------------------------------------------

@pytest.mark.parametrize(("log", "form"), [
    ("", "empty"),
    ("processed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0\n", "silent"),
    ("func#0 @0\nprocessed 0 insns (limit 1000000)\n", "silent"),
    ("func#0 @0\nSleepable programs can only use x\nprocessed 0 insns\n", "message"),
])
def test_classify_log(log: str, form: str) -> None:
    assert classify_log(log) == form


def test_iter_targets_are_read_from_btf_not_kfunc_names() -> None:
    targets = iter_targets(load_btf("bundled"))
    assert "task" in targets
    assert not any(t.startswith(("num", "css")) for t in targets)  # open-coded iterator kfuncs


def test_every_section_names_its_type() -> None:
    for ptype, section in LOAD_SECTIONS.items():
        assert program_type(section).prog_type.kernel_name == ptype


def test_diff_lines_name_the_refusals_and_the_wording() -> None:
    lines = load_diff_lines(FINDINGS)
    assert lines[0].startswith('SEC("lirc_mode2") programs are refused here')
    assert "empty log" in lines[0] and "no message" in lines[1] and "'something'" in lines[2]
    assert BUILD_MESSAGE in lines[-1]
    assert load_diff_lines({"sleepable_maps": {"kernel_said": UPSTREAM_SLEEPABLE_MAP_MESSAGE}}) \
        == []


def test_a_cache_file_from_before_the_load_probe_is_probed_again(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    from kfunclab.kernel import probe
    from kfunclab.kfuncs.live import findings_path, kernel_identity

    try:
        release, digest = kernel_identity()
    except CatalogError as exc:  # no kernel BTF to key the cache by
        pytest.skip(f"no kernel BTF: {exc}")
    monkeypatch.setenv("KFUNCLAB_CACHE", str(tmp_path))
    path = findings_path(release, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    every = [f"{p.switch}: not probed" for p in probe.SWITCH_PROBES]
    path.write_text(json.dumps({"format": FORMAT, "assumed": every}))
    monkeypatch.setattr(probe, "probe_kernel", lambda: {"format": FORMAT, "fresh": True,
                                                        "assumed": every, "loads": {},
                                                        "sleepable_maps": {}})
    assert json.loads(probe.ensure_live_profile().read_text())["fresh"] is True
    path.write_text(json.dumps({"format": FORMAT, "assumed": every, "loads": {},
                                "sleepable_maps": {}, "kept": True}))
    assert json.loads(probe.ensure_live_profile().read_text()).get("kept") is True


# --- the running kernel, asked now ---------------------------------------------------------

@pytest.fixture(scope="module")
def findings() -> dict:
    if not KERNEL_OK:
        pytest.skip(WHY)
    from kfunclab.kernel.probe import ensure_live_profile, read_findings

    return read_findings(ensure_live_profile())


def _same(text: str, profile: object) -> None:
    from kfunclab.kernel import kernel_verdict

    kernel = kernel_verdict(parse_program(text))
    if kernel.verdict == "error":
        pytest.skip(f"the kernel could not be asked: {kernel.error}")
    ours = verify(parse_program(text), btf="live", profile=profile, log_level=2)
    assert (ours.verdict.value, ours.error.message if ours.error else None) == (
        kernel.verdict, kernel.error), text


@pytest.mark.kernel
def test_the_probe_asked_every_type_and_iterator_target(findings: dict) -> None:
    loads = findings["loads"]
    assert set(LOAD_SECTIONS) <= set(loads)
    assert any(k.startswith("iter/") for k in loads)
    assert all(a["loads"] is not None for k, a in loads.items() if k.startswith("iter/"))


@pytest.mark.kernel
def test_live_answers_each_minimal_load_as_the_kernel_does(findings: dict,
                                                          live_profile: object) -> None:
    """Every refused section and a few that load: kfunclab under ``live`` says what the kernel
    says now (whatever this build refuses)."""
    sections = [a["section"] for a in findings["loads"].values() if a["loads"] is False]
    sections += ["xdp", "iter/task", "syscall"]
    for section in sections:
        if section != "lirc_mode2":  # kernel_verdict has no lirc_mode2 loader
            _same(_minimal(section), live_profile)
        got = verify_text(_minimal(section), btf="live", profile=live_profile)
        refused = next((a for a in findings["loads"].values() if a["section"] == section), {})
        assert (got.verdict.value == "reject") == (refused.get("loads") is False)


@pytest.mark.kernel
def test_live_silent_refusals_follow_the_static_checks(findings: dict,
                                                       live_profile: object) -> None:
    silent = [a["section"] for a in findings["loads"].values()
              if a["loads"] is False and a.get("log") == "silent"]
    if not silent:
        pytest.skip("this kernel refuses no program type or iterator target without a message")
    _same(_minimal(silent[0], "\tr0 = 0\n\texit\n\tr0 = 1\n\texit\n"), live_profile)


@pytest.mark.kernel
@pytest.mark.parametrize(("section", "map_type"), [
    ("syscall", "prog_array"), ("syscall", "array"), ("iter.s/task", "perf_event_array"),
    ("iter.s/task", "hash"),
])
def test_live_sleepable_map_types_as_the_kernel(findings: dict, live_profile: object,
                                                section: str, map_type: str) -> None:
    _same(_sleepable_map(section, map_type), live_profile)


def test_stored_probe_example_holds_the_load_refusals() -> None:
    """The patched 6.18.44 build kept in the package (notebook 11 reports it where no kernel
    can be asked) left out lirc_mode2 and refused three iterator targets."""
    from kfunclab.kernel.probe import EXAMPLE, diff_lines, read_findings

    findings = read_findings(EXAMPLE)
    lines = "\n".join(diff_lines(findings))
    for section in ("lirc_mode2", "iter/bpf_map_elem", "iter/sockmap"):
        assert f'SEC("{section}") programs are refused here' in lines
    probed = profile_from_findings(findings)
    assert probed_refusal(probed, program_type("iter/sockmap")) == (1, "silent")
    assert probed.sleepable_map_message.endswith("also as inner maps")
