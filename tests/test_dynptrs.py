"""Dynptrs where kernels differ, and the pieces behind the dynptr rule programs.

The rule programs of ``tests/verifier/programs/dynptr/`` (leaks, use after release, overwritten
slots, slices, wrong types) are pinned there with the other rules. What is here:

- ``bpf_dynptr_slice_rdwr``: upstream 6.18 lets packet writers (tc, xdp, ...) have a writable
  slice and tells other programs "the prog does not allow writes to packet data"; some 6.18
  builds refuse every call ("bpf_dynptr_slice_rdwr() is not allowed", EPERM). The probed switch
  ``dynptr_slice_rdwr_refused`` says which; the running kernel is asked where it can be.
- slices: their ``dynptr_id`` and type flag, and what dies with their dynptr;
- the oracle's ring-buffer maps (no key or value), which the ringbuf rule programs need.
"""

from __future__ import annotations

import dataclasses

import pytest

from kfunclab.isa.parser import parse_program
from kfunclab.kernel import kernel_available
from kfunclab.kernel.progbtf import build_prog_btf
from kfunclab.kfuncs import get_profile
from kfunclab.verifier import verify
from kfunclab.verifier.dynptr_slots import c_spi, is_packet_slice, slice_dynptr_id, slice_reg

AVAILABLE, WHY = kernel_available()

_SLICE_RDWR = """# SEC("{section}")
# a writable 8-byte slice of the program's skb dynptr, written in bounds
	r6 = r1
	r1 = 0
	*(u64 *)(r10 - 24) = r1
	r1 = r6
	r2 = 0
	r3 = r10
	r3 += -16
	call bpf_dynptr_from_skb
	r1 = r10
	r1 += -16
	r2 = 0
	r3 = r10
	r3 += -24
	r4 = 8
	call bpf_dynptr_slice_rdwr
	if r0 == 0 goto out
	r1 = 1
	*(u64 *)(r0 + 0) = r1
out:
	r0 = 0
	exit
"""

UPSTREAM = get_profile("linux-6.18")
REFUSING = dataclasses.replace(UPSTREAM, dynptr_slice_rdwr_refused=True)


def _ours(section: str, profile: object, btf: str = "bundled") -> tuple[str, str | None]:
    program = parse_program(_SLICE_RDWR.format(section=section), f"<slice_rdwr {section}>")
    result = verify(program, btf=btf, profile=profile)
    return result.verdict.value, result.error.message if result.error else None


@pytest.mark.parametrize(("section", "upstream"), [
    ("tc", ("accept", None)),
    ("xdp", None),  # xdp has no skb dynptr: bpf_dynptr_from_skb is not visible there
    ("cgroup_skb/ingress", ("reject", "the prog does not allow writes to packet data")),
])
def test_slice_rdwr_upstream_and_on_refusing_builds(section: str, upstream: object) -> None:
    if upstream is None:
        assert _ours(section, UPSTREAM) == (
            "reject", "calling kernel function bpf_dynptr_from_skb is not allowed")
        return
    assert _ours(section, UPSTREAM) == upstream
    assert _ours(section, REFUSING) == ("reject", "bpf_dynptr_slice_rdwr() is not allowed")


@pytest.mark.kernel
@pytest.mark.skipif(not AVAILABLE, reason=WHY)
@pytest.mark.parametrize("section", ["tc", "cgroup_skb/ingress"])
def test_slice_rdwr_as_the_running_kernel_rules(section: str, live_profile: object) -> None:
    from kfunclab.kernel import kernel_verdict

    program = parse_program(_SLICE_RDWR.format(section=section), "<slice_rdwr>")
    kernel = kernel_verdict(program)
    assert _ours(section, live_profile, btf="live") == (kernel.verdict, kernel.error)


@pytest.mark.kernel
@pytest.mark.skipif(not AVAILABLE, reason=WHY)
def test_slice_rdwr_probe_is_answered() -> None:
    from kfunclab.kernel import kernel_verdict
    from kfunclab.kernel.probe import SWITCH_PROBES
    from kfunclab.kernel.verdict import live_btf

    (probe,) = [p for p in SWITCH_PROBES if p.switch == "dynptr_slice_rdwr_refused"]
    btf = live_btf()
    text = probe.program(btf)
    assert text is not None
    error = kernel_verdict(parse_program(text, "<probe>"), btf).error
    assert error in probe.answers, f"the probe cannot read the kernel's answer {error!r}"


def test_slices_know_their_dynptr_and_which_die_with_the_packet() -> None:
    helper_slice = slice_reg(8, 5, "", maybe_null=True, reg_id=6, ref=4)
    skb_slice = slice_reg(14, 3, "skb", maybe_null=False, rdonly=True)
    assert (slice_dynptr_id(helper_slice), slice_dynptr_id(skb_slice)) == (5, 3)
    assert (is_packet_slice(helper_slice), is_packet_slice(skb_slice)) == (False, True)


@pytest.mark.parametrize(("off", "spi"), [(-16, 1), (-8, 0), (0, 0), (8, -1), (-24, 2)])
def test_spi_divides_as_c_does(off: int, spi: int) -> None:
    """__get_spi(): (-off - 1) / 8 truncates toward zero, so fp+0 and fp-8 both give slot 0
    (and both are refused as a dynptr's place: 'cannot pass in dynptr at an offset=')."""
    assert c_spi(off) == spi


def test_ringbuf_maps_are_made_without_key_or_value() -> None:
    program = parse_program('# SEC("tc")\n# MAP: rb ringbuf key=u32 value=u32 max_entries=4096\n'
                            "# a ring buffer\n\tr1 = rb ll\n\tr0 = 0\n\texit\n", "<rb>")
    (rb,) = build_prog_btf(program).maps
    assert (rb.key_size, rb.value_size, rb.key_type_id, rb.value_type_id) == (0, 0, 0, 0)
    assert rb.max_entries == 4096


@pytest.mark.kernel
@pytest.mark.skipif(not AVAILABLE, reason=WHY)
def test_a_cache_without_the_switch_is_probed_again(tmp_path: object,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache written before dynptr_slice_rdwr_refused existed would leave the model upstream's
    (accepting tc's writable slices) where the kernel may refuse them: it is probed anew."""
    import json

    from kfunclab.kernel.probe import ensure_live_profile
    from kfunclab.kfuncs.live import findings_path, kernel_identity

    monkeypatch.setenv("KFUNCLAB_CACHE", str(tmp_path))
    path = findings_path(*kernel_identity())
    old = json.loads(ensure_live_profile().read_text())
    del old["switches"]["dynptr_slice_rdwr_refused"]
    path.write_text(json.dumps(old))
    fresh = json.loads(ensure_live_profile().read_text())
    assert "dynptr_slice_rdwr_refused" in fresh["switches"]
