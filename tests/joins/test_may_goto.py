"""``may_goto`` loops: the join pair that differs only in ``may_goto_depth``, and its neighbours.

``check_cond_jmp_op()`` (v6.18, the ``BPF_JCOND`` case) explores a ``may_goto``'s jump first
and pushes the fall-through one ``may_goto_depth`` deeper. A loop back to the ``may_goto``
therefore meets the checkpoint stored there (``may_goto`` is a forced checkpoint, visit_insn())
with *another* depth when it loops through the fall-through, and with the *same* depth when it
loops through the jump:

- ``is_state_visited()``, ``is_may_goto_insn_at()``: a checkpoint on the current path whose
  depth differs and that is ``RANGE_WITHIN`` equal ends the path (the loop converged);
- its infinite-loop check fires only between states of equal ``may_goto_depth``.

So the pair ``fall_through_loops`` / ``jump_loops`` differs only in the depth the loop's state
carries back to the join at the ``may_goto``: one accepted, one refused. ``states_equal()`` itself
does not compare the depth (``head_before_may_goto``: the join is not the may_goto, the depths
differ, no infinite loop and no refusal; ``nested``). The statistics are the kernel's too:
widening (``widen_imprecise_scalars()``) is what makes ``counter`` converge in 17 instructions.

Every expectation is written here from the source (offline, everywhere) and asked of the running
kernel where it can be. The kernel loads our own encoding of ``may_goto`` (llvm-14 cannot
assemble it).
"""

from __future__ import annotations

import pytest

from kfunclab.isa import MayGoto, decode, encode, format_kernel, format_llvm, parse_program
from kfunclab.kernel import kernel_available
from kfunclab.verifier import verify_text

KERNEL_OK, WHY = kernel_available()
INFINITE = "infinite loop detected at insn {}"

# name: (program, verdict, first error, (processed, total_states, peak_states), source)
CASES: dict[str, tuple[str, str, str | None, tuple[int, int, int], str]] = {
    # the join pair: the loop comes back to the may_goto through the fall-through (depth + 1)
    "fall_through_loops": ("""\
# SEC("socket")
	r0 = 0
loop:
	may_goto out                    # the jump (depth 0) first, then the fall-through (depth 1)
	goto loop                       # back at the may_goto one deeper: converged
out:
	exit
""", "accept", None, (5, 1, 2), "is_state_visited(): is_may_goto_insn_at(), depths differ"),
    # ... or through the jump (the same depth): the same state again, an infinite loop
    "jump_loops": ("""\
# SEC("socket")
	r0 = 0
loop:
	may_goto back                   # the jump keeps the depth
	exit
back:
	goto loop                       # back at the may_goto with the same depth and state
""", "reject", INFINITE.format(1), (4, 1, 1),
        "is_state_visited(): infinite loop check, equal may_goto_depth"),
    # the loop head is not the may_goto: the depth still keeps the check from firing there
    "head_before_may_goto": ("""\
# SEC("socket")
loop:
	r0 = 0
	may_goto out
	goto loop
out:
	exit
""", "accept", None, (6, 1, 2), "is_state_visited(): states_maybe_looping() needs equal depth"),
    # ... and without may_goto the same shape is refused
    "head_without_may_goto": ("""\
# SEC("socket")
loop:
	r0 = 0
	if r0 == 0 goto loop
	exit
""", "reject", INFINITE.format(1), (10, 1, 1), "is_state_visited(): infinite loop check"),
    # a counter changes every iteration: widened to unknown once, then within
    "counter": ("""\
# SEC("socket")
	r1 = 0
loop:
	may_goto out
	r1 += 1
	goto loop
out:
	r0 = r1
	exit
""", "accept", None, (17, 3, 4), "check_cond_jmp_op(): widen_imprecise_scalars()"),
    # the same through a spilled slot
    "stack_counter": ("""\
# SEC("socket")
	r1 = 0
	*(u64 *)(r10 - 8) = r1
loop:
	may_goto out
	r1 = *(u64 *)(r10 - 8)
	r1 += 1
	*(u64 *)(r10 - 8) = r1
	goto loop
out:
	r0 = 0
	exit
""", "accept", None, (24, 3, 4), "widen_imprecise_scalars(): spilled scalars too"),
    # the widened counter is unbounded after the loop
    "widened_index": ("""\
# SEC("socket")
# MAP: m array key=u32 value=u64 max_entries=4
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto done
	r6 = 0
loop:
	may_goto out
	r6 += 1
	goto loop
out:
	r0 += r6                        # bug: r6 is any count of iterations
	r0 = *(u8 *)(r0 + 0)
done:
	r0 = 0
	exit
""", "reject", "R0 min value is outside of the allowed memory range", (67, 9, 9),
        "check_mem_region_access() after widen_imprecise_scalars()"),
    # two loops, one inside the other
    "nested": ("""\
# SEC("socket")
	r0 = 0
outer:
	may_goto out
inner:
	may_goto next
	goto inner
next:
	goto outer
out:
	exit
""", "accept", None, (8, 2, 4), "is_state_visited(): each may_goto converges on its own"),
    # an open-coded iterator's loop, rotated (the next call at the top and at the bottom, as
    # clang emits `while (bpf_iter_num_next())`): the states at the loop body differ only in the
    # iteration depth of the active iterator, which is progress, not an infinite loop
    "iter_rotated_loop": ("""\
# SEC("raw_tp")
	r6 = r10
	r6 += -8
	r1 = r6
	r2 = 0
	r3 = 3
	call bpf_iter_num_new
	r1 = r6
	call bpf_iter_num_next
	if r0 == 0 goto done
loop:
	r3 = *(u32 *)(r0 + 0)
	r1 = r10
	r1 += -8
	call bpf_iter_num_next
	if r0 != 0 goto loop
done:
	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
	r0 = 0
	exit
""", "accept", None, (30, 3, 4), "is_state_visited(): iter_active_depths_differ()"),
    "offset_zero": ("""\
# SEC("socket")
	r0 = 0
	may_goto +0                     # both edges to the next instruction
	exit
""", "accept", None, (4, 1, 1), "check_cond_jmp_op(): off 0 is valid in 6.18"),
    "last_insn": ("""\
# SEC("socket")
	r0 = 0
	may_goto -2
""", "reject", "last insn is not an exit or jmp", (0, 0, 0),
        "check_subprogs(): may_goto is conditional"),
    "out_of_range": ("""\
# SEC("socket")
	r0 = 0
	may_goto +5
	exit
""", "reject", "jump out of range from insn 1 to 7", (0, 0, 0), "check_subprogs()"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_offline(name: str) -> None:
    text, verdict, error, stats, _source = CASES[name]
    got = verify_text(text, btf="bundled", profile="linux-6.18")
    assert (got.verdict.value, got.error.message if got.error else None) == (verdict, error)
    if verdict == "accept" or stats[0]:
        s = got.stats
        assert (s.processed_insns, s.total_states, s.peak_states) == stats


def test_the_pair_differs_only_in_the_depth_at_the_join() -> None:
    """Both programs loop back to the may_goto (slot 1) from a goto; only the edge differs."""
    ok = parse_program(CASES["fall_through_loops"][0]).insns
    bad = parse_program(CASES["jump_loops"][0]).insns
    assert ok[1] == MayGoto(1) and bad[1] == MayGoto(1)
    assert ok[2].off == -2 and bad[3].off == -3  # type: ignore[union-attr]


@pytest.mark.kernel
@pytest.mark.skipif(not KERNEL_OK, reason=WHY)
@pytest.mark.parametrize("name", sorted(CASES))
def test_running_kernel_agrees(name: str, live_profile: object) -> None:
    from kfunclab.kernel import kernel_verdict

    text, verdict, error, stats, _source = CASES[name]
    kernel = kernel_verdict(parse_program(text))
    assert (kernel.verdict, kernel.error) == (verdict, error)
    if stats[0]:
        assert (kernel.processed_insns, kernel.total_states, kernel.peak_states) == stats
    ours = verify_text(text, btf="live", profile=live_profile)
    assert (ours.verdict.value, ours.error.message if ours.error else None) == (verdict, error)


# --- the instruction itself -------------------------------------------------------------------

def test_may_goto_encodes_as_jmp_jcond() -> None:
    """``BPF_JMP | BPF_JCOND`` = 0xe5, src_reg BPF_MAY_GOTO = 0, the offset in ``off``."""
    assert encode(MayGoto(3)).hex() == "e500030000000000"
    assert encode(MayGoto(-2)).hex() == "e500feff00000000"
    assert decode(bytes.fromhex("e500feff00000000")) == (MayGoto(-2),)


@pytest.mark.parametrize("raw", ["e501010000000000",  # dst_reg set
                                 "e510010000000000",  # src_reg not BPF_MAY_GOTO
                                 "e500010005000000",  # imm set
                                 "e600010000000000"])  # JMP32 has no JCOND
def test_other_jcond_encodings_do_not_decode(raw: str) -> None:
    from kfunclab.isa import DecodeError

    with pytest.raises(DecodeError):
        decode(bytes.fromhex(raw))


def test_may_goto_text_forms() -> None:
    assert format_kernel(MayGoto(1)) == "(e5) may_goto pc+1"
    assert format_llvm(MayGoto(-4)) == "may_goto -4"
    assert format_llvm(MayGoto(1), {5: "out"}, pc=3) == "may_goto out"
    prog = parse_program('# SEC("xdp")\n\tr0 = 0\n\tmay_goto pc+1\n\texit\nl:\n\tmay_goto l\n'
                         '\texit\n')
    assert prog.insns[1:] == (MayGoto(1), parse_program('# SEC("xdp")\n exit\n').insns[0],
                              MayGoto(-1), prog.insns[2])


def test_may_goto_label_out_of_range_names_the_line() -> None:
    from kfunclab.errors import ParseError

    far = "\tr0 = 0\n" * 40000
    with pytest.raises(ParseError, match=r":3:\d+: .*out of 16-bit range"):
        parse_program(f'# SEC("xdp")\nl:\n\tmay_goto out\n{far}out:\n\texit\n')


def test_an_unprivileged_may_goto_loop_is_a_back_edge() -> None:
    """check_cfg(): without CAP_BPF any loop is refused as a back-edge before exploration, a
    may_goto loop too (written from the source: this machine refuses unprivileged loads)."""
    from kfunclab.verifier.cfg import check_cfg

    text = ('# SEC("socket")\n# CAPS: -cap_bpf, -cap_sys_admin, -cap_perfmon\n'
            '\tr0 = 0\nloop:\n\tmay_goto out\n\tgoto loop\nout:\n\texit\n')
    static = check_cfg(parse_program(text, "u.s"), privileged=False)
    assert static is not None and static.message == "back-edge from insn 2 to 1"
    assert check_cfg(parse_program(text, "u.s"), privileged=True) is None


# --- find_prev_entry() needs the same call sites ---------------------------------------------

#: one subprogram with a may_goto counter loop, called twice: the second call's first visit of
#: the may_goto must not widen against the first call's checkpoints (find_prev_entry():
#: same_callsites()); widening across calls ended the second loop early (48 insns, not 55)
CALLED_TWICE = """\
# SEC("socket")
	r1 = 5
	call count
	r6 = r0
	r1 = 7
	call count
	r0 = 0
	exit
count:
	r2 = r1
loop:
	may_goto out
	r2 += 1
	goto loop
out:
	r0 = r2
	exit
"""


def test_a_loop_called_twice_widens_per_call_site() -> None:
    got = verify_text(CALLED_TWICE, btf="bundled", profile="linux-6.18")
    assert got.verdict.value == "accept"
    assert (got.stats.processed_insns, got.stats.total_states) == (55, 6)


@pytest.mark.kernel
@pytest.mark.skipif(not KERNEL_OK, reason=WHY)
def test_a_loop_called_twice_kernel_agrees() -> None:
    from kfunclab.kernel import kernel_verdict

    kernel = kernel_verdict(parse_program(CALLED_TWICE))
    assert (kernel.verdict, kernel.processed_insns, kernel.total_states) == ("accept", 55, 6)


def test_a_loop_called_twice_has_the_kernels_state_figures() -> None:
    """explored_state(): checkpoints are hashed by ``(insn ^ callsite) % prog->len``, so the
    second call's states do not count misses against the first call's (nor evict them) and
    ``max_states_per_insn`` counts a bucket, not an instruction (the kernel: 2 and peak 7)."""
    got = verify_text(CALLED_TWICE, btf="bundled", profile="linux-6.18").stats
    assert (got.max_states_per_insn, got.peak_states) == (2, 7)
