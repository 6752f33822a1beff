"""The walk, instruction for instruction: small programs whose processed count is the kernel's.

Each program has two arms that meet at ``join`` (a prune point, after enough instructions and
jumps for ``is_state_visited()`` to keep the first arm's state there; the kernel walks the
fall-through first). Whether the second arm is pruned at ``join`` shows only in the statistics:
the verdict is the same either way. Each case names the kernel code that decides the prune;
the counts are the live 6.18 kernel's, pinned here so the offline half runs everywhere, and
asked again of the running kernel where it can be.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kfunclab.isa.parser import parse_program
from kfunclab.kernel import kernel_available
from kfunclab.verifier import verify_text

KERNEL_OK, WHY = kernel_available()

# padding for the first arm: >= 2 jumps and >= 8 instructions before ``join`` (r5 is dead there)
PAD = "\tr5 = 1\n\tif r5 != 1 goto join\n" + "\tr5 = 1\n" * 6


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    verdict: str
    error: str | None
    stats: tuple[int, int, int]  # processed insns, total states, peak states
    source: str


CASES = [
    # precision asked for R0 after a static subprogram returned walks back into the callee,
    # where "w0 = 0" ends it; the checkpoint at join keeps its R2 imprecise and admits 3
    Case("precision_into_callee", """\
# SEC("socket")
	call sub
	if w0 == 0 goto out
	r0 = 1
out:
	r0 = 0
	exit
sub:
	call bpf_get_prandom_u32
	r6 = r0
	r2 = 0
	r2 += 1
	r3 = 0
	r3 += 1
	if r6 == 0 goto other
	r2 = 1
""" + PAD + """\
	goto join
other:
	r2 = 3
	goto join
join:
	r3 = r2
	w0 = 0
	exit
""", "accept", None, (27, 2, 2),
        "backtrack_insn(): BPF_EXIT -> bt_subprog_enter(), r0 from the callee"),
    # the first arm leaves fp-8 MISC (a raw helper write), the second leaves it unwritten: a
    # privileged loader may read uninitialized stack, so the MISC slot admits it
    Case("uninit_stack_admits", """\
# SEC("socket")
	call bpf_get_prandom_u32
	r6 = r0
	r8 = 0
	r8 += 1
	r9 = 0
	r9 += 1
	if r6 == 0 goto other
	r1 = r10
	r1 += -8
	r2 = 8
	r3 = r10
	r3 += -16
	call bpf_probe_read_kernel
""" + PAD + """\
	goto join
other:
	r9 = 2
	goto join
join:
	r1 = *(u64 *)(r10 -8)
	r0 = 0
	exit
""", "accept", None, (28, 2, 2), "stacksafe(): env->allow_uninit_stack and STACK_MISC"),
    # bpf_trace_printk's proto declares R1-R2 only: R4 (a format argument) is dead at the call,
    # so the checkpoint at join admits another R4; R2 (the size) is marked precise
    Case("printk_two_args", """\
# SEC("socket")
	call bpf_get_prandom_u32
	r6 = r0
	r4 = 0
	r4 += 1
	r9 = 0
	r9 += 1
	if r6 == 0 goto other
	r4 = 7
""" + PAD + """\
	goto join
other:
	r4 = 9
	goto join
join:
	r1 = r10
	r1 += -8
	r0 = 0
	*(u64 *)(r10 -8) = r0
	r2 = 8
	r3 = r4
	call bpf_trace_printk
	r0 = 0
	exit
""", "accept", None, (29, 3, 3), "get_call_summary(): num_params; check_mem_size_reg()"),
    # the arms differ in the caller's R7 (a stack pointer or 0), live at join but dead at the
    # call: inside the callee the caller's frame compares only what is live before its call
    Case("caller_frame_liveness", """\
# SEC("socket")
	call bpf_get_prandom_u32
	r6 = r0
	r8 = 0
	r8 += 1
	r9 = 0
	r9 += 1
	if r6 == 0 goto other
	r7 = r10
""" + PAD + """\
	goto join
other:
	r7 = 0
	goto join
join:
	r3 = r7
	call sub
	r7 = 0
	r0 = 0
	exit
sub:
	r2 = 1
	r2 += 1
	if r2 != 2 goto inner
""" + "\tr2 = 1\n" * 5 + """\
	goto inner
inner:
	r0 = 0
	exit
""", "accept", None, (47, 4, 4),
        "states_equal(): frame_insn_idx(), a caller's live_regs_before at its callsite"),
    # an iterator loop: r6 is linked to itself by "r6 += 1" (BPF_ADD_CONST) on the first
    # iteration only (widened after); RANGE_WITHIN tells them apart, so the loop converges one
    # iteration later and the delayed read through r7 is found
    Case("add_const_link_in_loop", """\
# SEC("socket")
	r7 = r10
	r7 += -16
	r0 = 0
	*(u64 *)(r7 +0) = r0
	call bpf_get_prandom_u32
	r6 = r0
	r1 = r10
	r1 += -8
	r2 = 0
	r3 = 10
	call bpf_iter_num_new
loop:
	r1 = r10
	r1 += -8
	call bpf_iter_num_next
	if r0 == 0 goto done
	r6 += 1
	if r6 != 42 goto use
	r7 = 57005
	goto loop
use:
	r0 = *(u64 *)(r7 +0)
	goto loop
done:
	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
	r0 = 0
	exit
""", "reject", "R7 invalid mem access 'scalar'", (57, 6, 7),
        "regsafe(): BPF_ADD_CONST flags and offsets of non-exact scalars"),
]
# the same loop with "r6 -= -1": the running 6.18 kernels link by BPF_SUB too (the stable
# backport of upstream 7a433e519364; kfunclab/verifier/linkconst.py)
CASES.append(Case("sub_const_link_in_loop", CASES[-1].text.replace("\tr6 += 1\n", "\tr6 -= -1\n"),
                  "reject", "R7 invalid mem access 'scalar'", (57, 6, 7),
                  "adjust_reg_min_max_vals(): BPF_SUB keeps the id with off = -K"))
IDS = [c.name for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_offline(case: Case) -> None:
    got = verify_text(case.text, btf="bundled", profile="linux-6.18")
    assert (got.verdict.value, got.error.message if got.error else None) == \
        (case.verdict, case.error)
    s = got.stats
    assert (s.processed_insns, s.total_states, s.peak_states) == case.stats


@pytest.mark.kernel
@pytest.mark.skipif(not KERNEL_OK, reason=WHY)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_running_kernel_agrees(case: Case, live_profile: object) -> None:
    from kfunclab.kernel import kernel_verdict

    kernel = kernel_verdict(parse_program(case.text, f"{case.name}.s"))
    assert (kernel.verdict, kernel.error) == (case.verdict, case.error)
    assert (kernel.processed_insns, kernel.total_states, kernel.peak_states) == case.stats
    ours = verify_text(case.text, btf="live", profile=live_profile)
    assert (ours.verdict.value, ours.stats.processed_insns) == (case.verdict, case.stats[0])
