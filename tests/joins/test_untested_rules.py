"""Rules the mutation run found untested (docs/mutation-testing.md, "Untested"): one program
each, its answer written from the v6.18 source and the function that decides it, checked
offline everywhere and against the running kernel where it can be asked."""

from __future__ import annotations

import pytest

from kfunclab.isa.parser import parse_program
from kfunclab.kernel import kernel_available
from kfunclab.verifier import verify_text

KERNEL_OK, WHY = kernel_available()

# name: (program, verdict, first error, the kernel function that decides it)
CASES = {
    "map_value_negative_index": ("""\
# SEC("socket")
# MAP: m array key=u32 value=u64 max_entries=4
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r6 = r0
	call bpf_get_prandom_u32
	r0 &= 7
	r0 -= 4                         # bug: may be negative
	r6 += r0
	r0 = *(u8 *)(r6 + 0)
out:
	r0 = 0
	exit
""", "reject",
        'R6 min value is negative, either use unsigned index or do a if (index >=0) check.',
        "check_mem_region_access()"),
    "stack_pointer_minus_scalar": ("""\
# SEC("socket")
	call bpf_get_prandom_u32
	r1 = 0x18000000 ll
	r0 &= r1                        # bug: 2^28 + 2^27: past BPF_MAX_VAR_OFF? no, below 2^29
	r2 = r10
	r2 -= r0
	r3 = 0
	*(u8 *)(r2 - 8) = r3
	r0 = 0
	exit
""", "reject",
        'R2 subtraction from stack pointer prohibited', "adjust_ptr_min_max_vals()"),
    "btf_pointer_variable_offset": ("""\
# SEC("tp_btf/task_newtask")
	r6 = *(u64 *)(r1 + 0)
	call bpf_get_prandom_u32
	r0 &= 8
	r6 += r0                        # bug: variable offset into a PTR_TO_BTF_ID
	r0 = *(u64 *)(r6 + 0)
	r0 = 0
	exit
""", "reject",
        'R6 is ptr_task_struct invalid variable offset: off=0, var_off=(0x0; 0x8)',
        "__check_ptr_off_reg()"),
    "tracing_without_perfmon": ("""\
# SEC("tp_btf/task_newtask")
# CAPS: -cap_perfmon, -cap_sys_admin
	r6 = *(u64 *)(r1 + 0)
	r0 = *(u32 *)(r6 + 0)           # a struct read without CAP_PERFMON
	r0 = 0
	exit
""", "reject",
        'errno 1 (EPERM), empty verifier log', "bpf_prog_load(): tracing needs CAP_PERFMON"),
    "stack_misaligned_write": ("""\
# SEC("socket")
	r1 = 0
	*(u64 *)(r10 - 12) = r1         # bug: misaligned 8-byte stack write
	r0 = 0
	exit
""", "reject",
        'misaligned stack access off 0+0+-12 size 8', "check_ptr_alignment()"),
    "narrow_fill_is_a_scalar": ("""\
# SEC("socket")
	r1 = 7
	*(u64 *)(r10 - 8) = r1
	r2 = *(u16 *)(r10 - 8)
	if r2 != 7 goto out
	r0 = *(u64 *)(r2 + 0)           # bug: r2 is a scalar
out:
	r0 = 0
	exit
""", "reject",
        "R2 invalid mem access 'scalar'", "check_mem_access()"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_offline(name: str) -> None:
    text, verdict, error, _source = CASES[name]
    got = verify_text(text, btf="bundled", profile="linux-6.18")
    assert (got.verdict.value, got.error.message if got.error else None) == (verdict, error)


@pytest.mark.kernel
@pytest.mark.skipif(not KERNEL_OK, reason=WHY)
@pytest.mark.parametrize("name", sorted(CASES))
def test_running_kernel_agrees(name: str, live_profile: object) -> None:
    from kfunclab.kernel import kernel_verdict

    text = CASES[name][0]
    kernel = kernel_verdict(parse_program(text))
    ours = verify_text(text, btf="live", profile=live_profile)
    assert (kernel.verdict, kernel.error) == (ours.verdict.value,
                                              ours.error.message if ours.error else None)
