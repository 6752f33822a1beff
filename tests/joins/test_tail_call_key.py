"""``record_func_key()``: a tail call's constant index is precise, so two paths that reach it
with different constants are not one state.

Linux 6.18 ``check_helper_call()`` calls ``record_func_key()`` for ``bpf_tail_call``: when R3 is
a constant below the prog_array's ``max_entries`` it is marked precise (the JIT may turn the call
into a direct jump to that slot); any other index poisons the key and marks nothing. So the
checkpoint stored at ``tail`` with ``r3 = 0`` gets ``r3`` precise and the ``r3 = 2`` path is
walked again (17 insns); an index out of range leaves ``r3`` imprecise and the second path is
pruned at ``tail`` (14). The figures are the kernel's, asked below where it can be.
"""

from __future__ import annotations

import pytest

from kfunclab.isa import parse_program
from kfunclab.kernel import kernel_available
from kfunclab.verifier import verify_text

KERNEL_OK, WHY = kernel_available()

PROGRAM = """\
# SEC("socket")
# MAP: jumps prog_array key=u32 value=u32 max_entries=4
	r6 = r1
	r7 = 1
	r8 = 2
	call bpf_get_prandom_u32
	r1 = r6
	if r0 == 7 goto other
	r3 = {first}
	goto tail
other:
	r3 = 2
tail:
	r2 = jumps ll
	call bpf_tail_call
	r0 = 0
	exit
"""

#: first index -> (processed insns, total states)
CASES = {0: (17, 1),   # r3 = 0 < max_entries: precise, the r3 = 2 path is walked again
         9: (14, 1)}   # r3 = 9 >= max_entries: key poisoned, nothing precise: pruned at tail


@pytest.mark.parametrize("first", sorted(CASES))
def test_offline(first: int) -> None:
    got = verify_text(PROGRAM.format(first=first), btf="bundled", profile="linux-6.18")
    assert got.verdict.value == "accept"
    assert (got.stats.processed_insns, got.stats.total_states) == CASES[first]


@pytest.mark.kernel
@pytest.mark.skipif(not KERNEL_OK, reason=WHY)
@pytest.mark.parametrize("first", sorted(CASES))
def test_running_kernel_agrees(first: int) -> None:
    from kfunclab.kernel import kernel_verdict

    kernel = kernel_verdict(parse_program(PROGRAM.format(first=first)))
    assert (kernel.verdict, kernel.processed_insns, kernel.total_states) == \
        ("accept", *CASES[first])
