"""Programs for the mutation survivors of samples A/B still untested after run C, and for the
survivors of run D (docs/mutation-testing.md, "Last figures"): one program each that the planted
bug would answer differently. Each answer (verdict, errno, first error) is written here with the
kernel code that decides it (Linux 6.18 source), checked offline everywhere and against the
running kernel where it can be asked.

Joins: two arms meet at ``join`` after the first arm (the fall-through, explored first) ran
>= 2 jumps and >= 8 instructions since its last checkpoint, so ``is_state_visited()`` keeps that
arm's state there; the second arm differs only in the piece under test.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from kfunclab.errors import KfunclabError
from kfunclab.isa.parser import parse_program
from kfunclab.kernel import kernel_available
from kfunclab.verifier import verify

AVAILABLE, WHY = kernel_available()

# the first arm's tail before "goto join": a never-taken jump and padding, so the join keeps
# the first arm's checkpoint (r5 is dead at the join)
PAD = "\tr5 = 1\n\tif r5 != 1 goto join\n" + "\tr5 = 1\n" * 6
# a referenced task_struct in r0 (NULL-checked), from a tc program
TASK = """\
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
"""
NO_PERFMON = "# CAPS: -cap_perfmon, -cap_sys_admin\n"
TAIL = "\tr0 = 0\n\texit\nout:\n\tr0 = 0\n\texit\n"


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    answer: tuple[str, int | None, str | None]  # verdict, errno, first error
    source: str  # the kernel code that decides it
    survivor: str  # the mutant it kills (docs/mutation-testing.md)


def _var_stack_write(mask: str, base: int = 0, value: str = "0") -> str:
    """A 1-byte store at fp + base + (prandom & mask) - 1 (privileged socket filter)."""
    return f"""\
# SEC("socket")
	call bpf_get_prandom_u32
	r0 &= {mask}
	r1 = r10
	r1 += {base}
	r1 += r0
	r2 = {value}
	*(u8 *)(r1 - 1) = r2
	r0 = 0
	exit
"""


CASES = [
    # --- stacksafe(): the slot kind is the type of byte 7 (the lowest address) ---------------
    Case("one_byte_spills_of_another_value_join", """\
# SEC("socket")
	call bpf_get_prandom_u32
	r6 = r0
	if r6 > 10 goto other
	r7 = 0
	*(u8 *)(r10 - 8) = r7           # first arm: a 1-byte spill of the constant 0
""" + PAD + """\
	goto join
other:
	*(u8 *)(r10 - 8) = r6           # second arm: a 1-byte spill of an unknown value
join:
	r1 = *(u8 *)(r10 - 8)
	if r1 == 0 goto out
	r0 = *(u64 *)(r1 + 0)           # only the second arm gets here
out:
	r0 = 0
	exit
""", ("reject", 13, "R1 invalid mem access 'scalar'"),
        "stacksafe(): switch (old->stack[spi].slot_type[BPF_REG_SIZE - 1]) case STACK_SPILL "
        "-> regsafe() of the spilled registers",
        "equiv.py stacksafe: kind = oslot.types[7] -> [6]"),
    Case("uninit_lowest_byte_at_a_join_without_perfmon", """\
# SEC("socket")
""" + NO_PERFMON + """\
	r6 = r1
	r0 = 0
	*(u8 *)(r10 - 7) = r0           # both arms: fp-7 is STACK_ZERO
	call bpf_get_prandom_u32
	if r0 > 10 goto other
	r1 = r6
	r2 = 0
	r3 = r10
	r3 += -8
	r4 = 1
	call bpf_skb_load_bytes         # first arm: the helper writes fp-8 (STACK_MISC)
""" + PAD + """\
	goto join
other:
	r5 = 1                          # second arm: fp-8 stays STACK_INVALID
join:
	r1 = *(u8 *)(r10 - 8)
	r0 = 0
	exit
""", ("reject", 13, "invalid read from stack off -8+0 size 1"),
        "stacksafe(): without env->allow_uninit_stack (no CAP_PERFMON) a MISC byte does not "
        "admit an INVALID one; check_stack_read_fixed_off(): 'invalid read from stack'",
        "equiv.py stacksafe: range(8) -> range(7)"),
    Case("lowest_byte_written_on_both_arms_without_perfmon", """\
# SEC("socket")
""" + NO_PERFMON + """\
	r6 = r1
	r0 = 0
	*(u8 *)(r10 - 7) = r0
	call bpf_get_prandom_u32
	if r0 > 10 goto other
	r1 = r6
	r2 = 0
	r3 = r10
	r3 += -8
	r4 = 1
	call bpf_skb_load_bytes
""" + PAD + """\
	goto join
other:
	*(u8 *)(r10 - 8) = r0           # second arm: a 1-byte spill (CAP_BPF) at fp-8
join:
	r1 = *(u8 *)(r10 - 8)
	r0 = 0
	exit
""", ("accept", None, None),
        "stacksafe(): MISC vs SPILL differ, the second arm is explored and reads fp-8 fine",
        "(the control of the case above)"),
    # --- check_generic_ptr_alignment(): stack accesses are strict, on the tnum -----------------
    Case("misaligned_u16_at_a_constant_offset", """\
# SEC("socket")
	r2 = 0
	*(u16 *)(r10 - 3) = r2
	r0 = 0
	exit
""", ("reject", 13, "misaligned stack access off 0+0+-3 size 2"),
        "check_generic_ptr_alignment(): strict for PTR_TO_STACK; only size 1 is exempt",
        "stack_var.py check_alignment_stack (memory.py then): size == 1 -> size == 2"),
    Case("misaligned_u64_at_a_variable_offset", """\
# SEC("socket")
	call bpf_get_prandom_u32
	r0 &= 4
	r1 = r10
	r1 += -16
	r1 += r0                        # fp-16 or fp-12
	r2 = 0
	*(u64 *)(r1 + 0) = r2
	r0 = 0
	exit
""", ("reject", 13, "misaligned stack access off (0x0; 0x4)+-16+0 size 8"),
        "check_generic_ptr_alignment(): tnum_is_aligned(var_off + off) - a variable offset "
        "is checked too (kfunclab skipped it: an unsound accept, fixed)",
        "stack_var.py check_alignment_stack (memory.py then): no early return at a "
        "variable offset"),
    Case("misaligned_u32_read_at_a_variable_offset", """\
# SEC("socket")
	call bpf_get_prandom_u32
	r0 &= 8
	r1 = r10
	r1 += -16
	r1 += r0                        # fp-16 or fp-8: 8-aligned
	r2 = 0
	*(u64 *)(r1 + 0) = r2
	r0 = *(u32 *)(r1 + 2)           # +2 is not 4-aligned
	r0 = 0
	exit
""", ("reject", 13, "misaligned stack access off (0x0; 0x8)+-16+2 size 4"),
        "check_generic_ptr_alignment(): reg->off + off joins the tnum before the test",
        "stack_var.py check_alignment_stack (memory.py then)"),
    Case("aligned_u64_at_a_variable_offset", """\
# SEC("socket")
	call bpf_get_prandom_u32
	r0 &= 8
	r1 = r10
	r1 += -16
	r1 += r0
	r2 = 0
	*(u64 *)(r1 + 0) = r2
	r0 = 0
	exit
""", ("accept", None, None),
        "check_generic_ptr_alignment(): var_off (0x0; 0x8) + -16 has its low 3 bits known 0",
        "stack_var.py check_alignment_stack (memory.py then)"),
    # --- check_stack_access_within_bounds(): BPF_MAX_VAR_OFF (1 << 29) -------------------------
    Case("variable_stack_offset_just_below_the_limit", _var_stack_write("0x1fffffff"),
         ("reject", 22, "invalid variable-offset write to stack R1 var_off=(0x0; 0x1fffffff) "
                        "off=-1 size=1"),
         "check_stack_access_within_bounds(): smax 2^29 - 1 < BPF_MAX_VAR_OFF, so the range "
         "is checked: the largest byte is past fp+0 (-EINVAL)",
         "memory.py _check_stack_bounds: smax >= BPF_MAX_VAR_OFF -> <"),
    Case("variable_stack_offset_at_the_limit", _var_stack_write("0x20000000"),
         ("reject", 13, "invalid unbounded variable-offset write to stack R1"),
         "check_stack_access_within_bounds(): smax_value >= BPF_MAX_VAR_OFF -> -EACCES",
         "memory.py _check_stack_bounds: 'or' -> 'and' / smax >= -> <"),
    # --- check_stack_write_var_off(): what a variable-offset write keeps ------------------------
    Case("zero_written_over_a_spilled_zero_keeps_it", """\
# SEC("socket")
	r6 = 0
	*(u64 *)(r10 - 8) = r6          # a spilled constant 0
	call bpf_get_prandom_u32
	r0 &= 3
	r1 = r10
	r1 += -8
	r1 += r0
	r2 = 0
	*(u8 *)(r1 + 0) = r2            # a zero at fp-8..fp-5
	r3 = *(u64 *)(r10 - 8)
	if r3 == 0 goto out
	r0 = *(u64 *)(r3 + 0)           # dead: the spill is still 0
out:
	r0 = 0
	exit
""", ("accept", None, None),
        "check_stack_write_var_off(): writing_zero over a spilled scalar 0 keeps the spill "
        "(kfunclab made it MISC: a false refusal, fixed)",
        "stack_var.py stack_write_var (memory.py then)"),
    Case("zero_in_r0_written_over_a_spilled_zero_keeps_it", """\
# SEC("socket")
	r6 = 0
	*(u64 *)(r10 - 8) = r6
	call bpf_get_prandom_u32
	r0 &= 3
	r1 = r10
	r1 += -8
	r1 += r0
	r0 = 0
	*(u8 *)(r1 + 0) = r0            # the zero comes from r0
	r3 = *(u64 *)(r10 - 8)
	if r3 == 0 goto out
	r0 = *(u64 *)(r3 + 0)
out:
	r0 = 0
	exit
""", ("accept", None, None),
        "check_stack_write_var_off(): register_is_null(value_reg) for any value register",
        "stack_var.py stack_write_var (memory.py then): 'value_regno >= 0' -> '>= 1'"),
    Case("zero_immediate_written_over_a_spilled_zero_keeps_it", """\
# SEC("socket")
	r6 = 0
	*(u64 *)(r10 - 8) = r6
	call bpf_get_prandom_u32
	r0 &= 3
	r1 = r10
	r1 += -8
	r1 += r0
	*(u8 *)(r1 + 0) = 0             # BPF_ST of the immediate 0
	r3 = *(u64 *)(r10 - 8)
	if r3 == 0 goto out
	r0 = *(u64 *)(r3 + 0)
out:
	r0 = 0
	exit
""", ("accept", None, None),
        "check_stack_write_var_off(): !value_reg && is_bpf_st_mem(insn) && insn->imm == 0",
        "stack_var.py stack_write_var (memory.py then): 'imm == 0' -> '!= 0' / '0' -> '1'"),
    Case("nonzero_immediate_written_over_a_spilled_zero_erases_it", """\
# SEC("socket")
	r6 = 0
	*(u64 *)(r10 - 8) = r6
	call bpf_get_prandom_u32
	r0 &= 3
	r1 = r10
	r1 += -8
	r1 += r0
	*(u8 *)(r1 + 0) = 1
	r3 = *(u64 *)(r10 - 8)
	if r3 == 0 goto out
	r0 = *(u64 *)(r3 + 0)
out:
	r0 = 0
	exit
""", ("reject", 13, "R3 invalid mem access 'scalar'"),
        "check_stack_write_var_off(): not writing_zero: the spill is erased, the slot MISC",
        "stack_var.py stack_write_var (memory.py then)"),
    Case("zero_written_over_zero_bytes_keeps_them", """\
# SEC("socket")
	r6 = 0
	*(u32 *)(r10 - 4) = r6          # not 8-aligned: four STACK_ZERO bytes
	call bpf_get_prandom_u32
	r0 &= 3
	r1 = r10
	r1 += -4
	r1 += r0
	r2 = 0
	*(u8 *)(r1 + 0) = r2
	r3 = *(u32 *)(r10 - 4)
	if r3 == 0 goto out
	r0 = *(u64 *)(r3 + 0)
out:
	r0 = 0
	exit
""", ("accept", None, None),
        "check_stack_write_var_off(): writing_zero && *stype == STACK_ZERO -> STACK_ZERO",
        "stack_var.py stack_write_var (memory.py then)"),
    Case("var_write_over_a_narrow_spill_scrubs_its_zeros", """\
# SEC("socket")
	r6 = 0
	*(u32 *)(r10 - 4) = r6          # fp-4..fp-1: STACK_ZERO
	r6 = 5
	*(u32 *)(r10 - 8) = r6          # fp-8..fp-5: a 4-byte spill of 5
	call bpf_get_prandom_u32
	r0 &= 3
	r1 = r10
	r1 += -8
	r1 += r0
	r2 = 1
	*(u8 *)(r1 + 0) = r2            # may hit the spill only
	r3 = *(u32 *)(r10 - 4)          # the zeros are MISC now
	if r3 == 0 goto out
	r0 = *(u64 *)(r3 + 0)
out:
	r0 = 0
	exit
""", ("reject", 13, "R3 invalid mem access 'scalar'"),
        "check_stack_write_var_off() as the running 6.18 does it (its log: fp-8=mmmmmmmm): an "
        "erased spill's slot is scrubbed whole, zeros too (kfunclab kept the zeros: an "
        "unsound accept, fixed)",
        "stack_var.py stack_write_var (memory.py then): the scrub of the slot"),
    Case("var_write_beside_a_one_byte_spill_erases_it", """\
# SEC("socket")
	r6 = 0
	*(u8 *)(r10 - 8) = r6           # a 1-byte spill of 0: only byte 7 is STACK_SPILL
	call bpf_get_prandom_u32
	r0 &= 1
	r1 = r10
	r1 += -6
	r1 += r0
	r2 = 1
	*(u8 *)(r1 + 0) = r2            # fp-6 or fp-5: not the spilled byte
	r3 = *(u8 *)(r10 - 8)           # the spill is gone: an unknown byte
	if r3 == 0 goto out
	r0 = *(u64 *)(r3 + 0)
out:
	r0 = 0
	exit
""", ("reject", 13, "R3 invalid mem access 'scalar'"),
        "check_stack_write_var_off(): is_spilled_reg() looks at slot_type[BPF_REG_SIZE - 1]; "
        "the slot's spill is erased by a write to any of its bytes",
        "stack_var.py stack_write_var: slot.types[7] -> [6]"),
    Case("zero_written_next_to_a_narrow_spill_scrubs_it", """\
# SEC("socket")
	r6 = 0
	*(u32 *)(r10 - 4) = r6
	*(u32 *)(r10 - 8) = r6          # a 4-byte spill of 0 below four zero bytes
	call bpf_get_prandom_u32
	r0 &= 3
	r1 = r10
	r1 += -4
	r1 += r0
	r2 = 0
	*(u8 *)(r1 + 0) = r2            # zero over the zero bytes: the spill is still erased
	r3 = *(u32 *)(r10 - 4)
	if r3 == 0 goto out
	r0 = *(u64 *)(r3 + 0)
out:
	r0 = 0
	exit
""", ("reject", 13, "R3 invalid mem access 'scalar'"),
        "check_stack_write_var_off(): a byte that is not STACK_SPILL erases the slot's spill "
        "(spilled_ptr.type = NOT_INIT) and the running kernel scrubs the slot",
        "stack_var.py stack_write_var (memory.py then)"),
    # --- check_ptr_to_btf_access() -------------------------------------------------------------
    Case("task_field_read_without_perfmon", """\
# SEC("tc")
""" + NO_PERFMON + TASK + """\
	r6 = r0
	r7 = *(u32 *)(r6 + 0)
	r1 = r6
	call bpf_task_release
""" + TAIL, ("reject", 1, "'struct task_struct' access is allowed only to CAP_PERFMON "
                            "and CAP_SYS_ADMIN"),
        "check_ptr_to_btf_access(): !env->allow_ptr_leaks -> -EPERM (kfunclab said EACCES, "
        "fixed)", "memory.py _btf_access: the CAP_PERFMON check"),
    Case("task_field_read_with_perfmon", """\
# SEC("tc")
""" + TASK + """\
	r6 = r0
	r7 = *(u32 *)(r6 + 0)
	r1 = r6
	call bpf_task_release
""" + TAIL, ("accept", None, None),
        "check_ptr_to_btf_access(): CAP_PERFMON allows the read", "(the control)"),
    Case("task_field_read_at_a_variable_offset", """\
# SEC("tc")
""" + TASK + """\
	r6 = r0
	call bpf_get_prandom_u32
	r0 &= 8
	r2 = r6
	r2 += r0
	r7 = *(u32 *)(r2 + 0)
	r1 = r6
	call bpf_task_release
""" + TAIL, ("reject", 13, "R2 is ptr_task_struct invalid variable offset: off=0, "
                             "var_off=(0x0; 0x8)"),
        "check_ptr_to_btf_access(): !tnum_is_const(reg->var_off) || reg->var_off.value",
        "memory.py _btf_access: the variable offset check"),
    # --- release_reference() -> mark_reg_invalid() of a spilled copy --------------------------
    Case("released_spilled_copy_is_an_unknown_scalar", """\
# SEC("tc")
""" + TASK + """\
	*(u64 *)(r10 - 8) = r0
	r1 = r0
	call bpf_task_release
	r1 = *(u64 *)(r10 - 8)
	r0 = *(u32 *)(r1 + 0)
""" + TAIL, ("reject", 13, "R1 invalid mem access 'scalar'"),
        "mark_reg_invalid(): __mark_reg_unknown() with allow_ptr_leaks, on spilled copies too",
        "references.py set_reg_at / release_reference"),
    Case("released_spilled_copy_without_perfmon_fills", """\
# SEC("tc")
""" + NO_PERFMON + TASK + """\
	*(u64 *)(r10 - 8) = r0
	r1 = r0
	call bpf_task_release
	r1 = *(u64 *)(r10 - 8)          # the slot is still STACK_SPILL
""" + TAIL, ("accept", None, None),
        "mark_reg_invalid(): __mark_reg_not_init() of the spilled register only; the slot "
        "types stay STACK_SPILL (kfunclab emptied the slot and refused the fill: a false "
        "refusal, fixed)", "references.py set_reg_at: the NOT_INIT branch"),
    Case("released_spilled_copy_without_perfmon_is_not_init", """\
# SEC("tc")
""" + NO_PERFMON + TASK + """\
	*(u64 *)(r10 - 8) = r0
	r1 = r0
	call bpf_task_release
	r1 = *(u64 *)(r10 - 8)
	r2 = r1
""" + TAIL, ("reject", 13, "R1 !read_ok"),
        "check_stack_read_fixed_off(): the fill copies the NOT_INIT register; "
        "check_reg_arg(): '!read_ok'", "references.py set_reg_at: the NOT_INIT branch"),
    Case("released_spilled_copy_without_perfmon_narrow_fill", """\
# SEC("tc")
""" + NO_PERFMON + TASK + """\
	*(u64 *)(r10 - 8) = r0
	r1 = r0
	call bpf_task_release
	r1 = *(u32 *)(r10 - 4)
""" + TAIL, ("reject", 13, "invalid size of register fill"),
        "check_stack_read_fixed_off(): a narrow fill of a spill that is not a scalar",
        "references.py set_reg_at: the NOT_INIT branch"),
]


# --- run D's survivors (--seed 1205) -------------------------------------------------------------
DYNPTR_SKB = """\
# SEC("tc")
	r6 = r1
	r7 = 0
	r1 = r6
	r2 = r7
	r3 = r10
	r3 += -16
	call bpf_dynptr_from_skb
	*(u64 *)(r10 - 24) = r7
	r1 = r10
	r1 += -16
"""
STR_RET = """\
# SEC("tp_btf/task_newtask")
	r1 = r10
	r1 += -16
	r2 = 16
	r3 = 0
	call bpf_probe_read_kernel_str  # r0 in [-MAX_ERRNO, 16]
	if r0 {cond} goto out
	r0 = *(u64 *)(r0 + 0)
out:
	r0 = 0
	exit
"""
SOCK_BYTE = """\
# SEC("cgroup_skb/ingress")
	r1 = *(u64 *)(r1 + 168)         # __sk_buff.sk: sock_common or NULL
	if r1 == 0 goto out
	r0 = *(u8 *)(r1 + {off})
out:
	r0 = 1
	exit
"""
CASES += [
    Case("dynptr_write_source_shorter_than_len", DYNPTR_SKB + """\
	r2 = 0
	r3 = r10
	r3 += -24
	r4 = 32                         # 32 bytes from fp-24 run past the frame
	r5 = 0
	call bpf_dynptr_write
	r0 = 0
	exit
""", ("reject", 22, "invalid read from stack R3 off=-24 size=32"),
        "bpf_dynptr_write_proto: ARG_PTR_TO_MEM | MEM_RDONLY, ARG_CONST_SIZE_OR_ZERO -> "
        "check_mem_size_reg()", "dynptrs.py _h_dynptr_write: the size check of R4 removed"),
    Case("dynptr_write_offset_must_be_initialised", DYNPTR_SKB + """\
	r3 = r10                        # r2 (the offset) was clobbered by the call
	r3 += -24
	r4 = 8
	r5 = 0
	call bpf_dynptr_write
	r0 = 0
	exit
""", ("reject", 13, "R2 !read_ok"),
        "check_func_arg() -> check_reg_arg(SRC_OP) of ARG_ANYTHING R2",
        "dynptrs.py _h_dynptr_write: _anything() of arg 2 -> 3"),
    Case("str_read_may_return_minus_max_errno", STR_RET.replace("{cond}", "s> -4095"),
         ("reject", 13, "R0 invalid mem access 'scalar'"),
         "do_refine_retval_range(): smin_value = -MAX_ERRNO (4095), so r0 may be -4095",
         "helper_args.py sized_return() (helper_engine.py's copy of the range is reached only "
         "by helpers kfunclab reports unsupported)"),
    Case("str_read_is_at_least_minus_max_errno", STR_RET.replace("{cond}", "s>= -4095"),
         ("accept", None, None), "do_refine_retval_range(): smin_value = -MAX_ERRNO",
         "(the control)"),
    Case("str_read_may_return_zero", STR_RET.replace("{cond}", "!= 0"),
         ("reject", 13, "R0 invalid mem access 'scalar'"),
         "do_refine_retval_range(): only the signed bounds are set; 0 is in range",
         "helper_args.py sized_return(): umin 0"),
    Case("atomic_fetch_loads_the_old_value", """\
# SEC("socket")
# MAP: m array key=u32 value=u64
""" + """\
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = 0
	r1 = atomic_fetch_add((u64 *)(r0 + 0), r1)   # r1 is the map's old value now
	if r1 == 0 goto out
	r0 = *(u64 *)(r1 + 0)
out:
	r0 = 0
	exit
""", ("reject", 13, "R1 invalid mem access 'scalar'"),
        "check_atomic_rmw(): BPF_FETCH loads into src_reg (check_mem_access(..., load_reg))",
        "memory.py check_atomic: load_reg of a fetch removed"),
    Case("flow_keys_read_is_unknown", """\
# SEC("flow_dissector")
	r1 = *(u64 *)(r1 + 144)         # __sk_buff.flow_keys
	r2 = 0
	r2 = *(u16 *)(r1 + 0)
	if r2 == 0 goto out
	r0 = *(u64 *)(r2 + 0)
out:
	r0 = 0
	exit
""", ("reject", 13, "R2 invalid mem access 'scalar'"),
        "check_mem_access(): PTR_TO_FLOW_KEYS, a read marks the value register unknown",
        "memory.py check_mem_access: flow keys value_regno >= 0 -> < 0"),
    Case("sleepable_helper_in_rcu_is_einval", """\
# SEC("syscall")
	call bpf_rcu_read_lock
	r1 = r10
	r1 += -8
	r2 = 8
	r3 = 0
	call bpf_copy_from_user
	call bpf_rcu_read_unlock
	r0 = 0
	exit
""", ("reject", 22, "sleepable helper bpf_copy_from_user#148 in rcu_read_lock region"),
        "check_helper_call(): fn->might_sleep in an RCU section -> -EINVAL",
        "helper_engine.py check_data_helper: errno 22 -> 21"),
    Case("sock_byte_at_the_end_of_src_ip6", SOCK_BYTE.replace("{off}", "43"),
         ("accept", None, None),
         "bpf_sock_is_valid_access(): bpf_ctx_range_till(src_ip4, src_ip6[3]) allows narrow "
         "loads", "sockets.py _SOCK_NARROW_IN 44 -> 43"),
    Case("sock_byte_in_dst_port_padding", SOCK_BYTE.replace("{off}", "51"),
         ("reject", 13, "R1 invalid sock_common access off=51 size=1"),
         "bpf_sock_is_valid_access(): the padding after dst_port is not a field",
         "sockets.py _SOCK_NARROW_IN 52 -> 51"),
    Case("sock_byte_at_dst_ip4", SOCK_BYTE.replace("{off}", "52"), ("accept", None, None),
         "bpf_sock_is_valid_access(): dst_ip4 .. dst_ip6[3] allow narrow loads",
         "(the control)"),
    Case("rdonly_cast_of_minus_one", """\
# SEC("tc")
	r1 = 0
	r2 = -1
	call bpf_rdonly_cast
	r0 = 0
	exit
""", ("reject", 22, "Unknown type ID -1 passed to kfunc bpf_rdonly_cast"),
        "check_kfunc_call(): 'Unknown type ID %lld passed to kfunc bpf_rdonly_cast'",
        "kfuncs.py _rdonly_cast: value -= 1 << 64 -> 1 << 65"),
]


CASES += [
    Case("packet_meta_as_helper_memory", """\
# SEC("tc")
	r2 = *(u32 *)(r1 + 140)         # __sk_buff.data_meta
	r3 = *(u32 *)(r1 + 76)          # __sk_buff.data: the end of the metadata
	r4 = r2
	r4 += 4
	if r4 > r3 goto out
	r1 = r2                         # 4 bytes of PTR_TO_PACKET_META
	r2 = 4
	r3 = 0
	r4 = 0
	r5 = 0
	call bpf_csum_diff
out:
	r0 = 0
	exit
""", ("accept", None, None),
        "compatible_reg_types: mem_types lists PTR_TO_PACKET_META (no flag)",
        "helper_engine.py _MEM_TYPES (PTR_TO_PACKET_META, 0)"),
    Case("packet_as_helper_memory", """\
# SEC("tc")
	r2 = *(u32 *)(r1 + 76)          # __sk_buff.data
	r3 = *(u32 *)(r1 + 80)          # __sk_buff.data_end
	r4 = r2
	r4 += 4
	if r4 > r3 goto out
	r1 = r2                         # 4 bytes of PTR_TO_PACKET
	r2 = 4
	r3 = 0
	r4 = 0
	r5 = 0
	call bpf_csum_diff              # a helper of the data-driven engine
out:
	r0 = 0
	exit
""", ("accept", None, None),
        "compatible_reg_types: mem_types lists PTR_TO_PACKET (no flag)",
        "helper_engine.py _MEM_TYPES (PTR_TO_PACKET, 0 -> 1)"),
    Case("pointer_equal_to_a_scalar_stays_maybe_null", """\
# SEC("socket")
# MAP: m hash key=u32 value=u64
	call bpf_get_prandom_u32
	r6 = r0
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == r6 goto use            # a scalar, not a pointer: proves nothing about NULL
	r0 = 0
	exit
use:
	r0 = *(u64 *)(r0 + 0)
	r0 = 0
	exit
""", ("reject", 13, "R0 invalid mem access 'map_value_or_null'"),
        "check_cond_jmp_op(): mark_ptr_not_null_reg() only when both registers are pointers",
        "sockets.py infer_not_null_on_eq: 'and' -> 'or'"),
    Case("sock_btf_pointer_as_sock_common", """\
# SEC("tp_btf/inet_sock_set_state")
	r1 = *(u64 *)(r1 + 0)           # const struct sock *sk (trusted)
	call bpf_skc_to_tcp_sock        # ARG_PTR_TO_BTF_ID_SOCK_COMMON
	r0 = 0
	exit
""", ("accept", None, None),
        "check_reg_type(): btf_struct_ids_match() walks sock's first member, sock_common",
        "helper_engine.py _check_btf_arg: 'not reg.btf_id' -> 'reg.btf_id'"),
    Case("trusted_btf_pointer_as_dynptr_write_source", """\
# SEC("tc")
	r6 = r1
	r7 = 0
	r1 = r6
	r2 = r7
	r3 = r10
	r3 += -16
	call bpf_dynptr_from_skb
	call bpf_get_current_task_btf   # PTR_TO_BTF_ID | PTR_TRUSTED
	r3 = r0
	r1 = r10
	r1 += -16
	r2 = 0
	r4 = 8
	r5 = 0
	call bpf_dynptr_write
	r0 = 0
	exit
""", ("accept", None, None),
        "compatible_reg_types: mem_types lists PTR_TO_BTF_ID | PTR_TRUSTED",
        "dynptrs.py _mem_type: PTR_TO_BTF_ID 'is' -> 'is not'"),
    Case("array_lookup_with_a_spilled_constant_key", """\
# SEC("socket")
# MAP: m array key=u32 value=u64 max_entries=4
	r1 = 1
	*(u32 *)(r10 - 8) = r1          # a 4-byte spill of the constant 1
	r2 = r10
	r2 += -8
	r1 = m ll
	call bpf_map_lookup_elem        # key 1 < max_entries: never NULL
	r0 = *(u64 *)(r0 + 0)
	r0 = 0
	exit
""", ("accept", None, None),
        "get_constant_map_key() of a spilled constant; can_elide_value_nullness()",
        "helpers.py _constant_map_key: 'stype[7] != \"r\"' -> '=='"),
    Case("array_lookup_with_a_spilled_key_past_the_end", """\
# SEC("socket")
# MAP: m array key=u32 value=u64 max_entries=4
	r1 = 4
	*(u32 *)(r10 - 8) = r1
	r2 = r10
	r2 += -8
	r1 = m ll
	call bpf_map_lookup_elem        # key 4 is past the end: map_value_or_null
	r0 = *(u64 *)(r0 + 0)
	r0 = 0
	exit
""", ("reject", 13, "R0 invalid mem access 'map_value_or_null'"),
        "can_elide_value_nullness(): only a key below max_entries", "(the control)"),
    Case("array_lookup_with_an_unwritten_key", """\
# SEC("socket")
# MAP: m array key=u32 value=u64
	r2 = r10
	r2 += -4                        # fp-4 never written: a privileged loader may read it
	r1 = m ll
	call bpf_map_lookup_elem
	r0 = 0
	exit
""", ("accept", None, None),
        "get_constant_map_key(): no constant key in an uninitialised slot; "
        "check_stack_range_initialized() with allow_uninit_stack",
        "helpers.py _constant_map_key: 'if entry is None: return None' removed"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_kfunclab_gives_the_written_answer(case: Case) -> None:
    got = verify(parse_program(case.text, case.name + ".s"), btf="bundled")
    err = got.error
    assert (got.verdict.value, err.errno if err else None, err.message if err else None) == \
        case.answer


@pytest.mark.kernel
@pytest.mark.skipif(not AVAILABLE, reason=WHY)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_live_kernel_gives_the_written_answer(case: Case) -> None:
    from kfunclab.kernel import kernel_verdict

    kv = kernel_verdict(parse_program(case.text, case.name + ".s"))
    assert (kv.verdict, None if kv.accepted else kv.errno, kv.error) == case.answer


# --- check_ptr_to_btf_access(): a pointer walked from an untrusted one loses MEM_RCU -----------
WALK_TWICE = """\
# SEC("syscall")
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r9 = r0
	r6 = *(u64 *)(r0 + {off})       # sleepable, outside an RCU section: PTR_UNTRUSTED
	call bpf_rcu_read_lock
	r1 = *(u64 *)(r6 + {off})       # from an untrusted pointer: clear_trusted_flags()
	call bpf_task_acquire           # KF_RCU: needs a trusted or MEM_RCU argument
	if r0 == 0 goto unlock
	r1 = r0
	call bpf_task_release
unlock:
	call bpf_rcu_read_unlock
	r1 = r9
	call bpf_task_release
out:
	r0 = 0
	exit
"""


def _walk_twice(which: str, field: str) -> str:
    """The program with task_struct.``field``'s offset in ``which`` BTF (offsets move between
    builds). real_parent is ``__rcu`` (MEM_RCU from its type tag), group_leader is not."""
    from kfunclab.btf import load_btf

    btf = load_btf(which)
    task = btf.type_by_id(btf.find("task_struct", "STRUCT")[0])
    member = next(m for m in task.members if m.name == field)  # type: ignore[attr-defined]
    return WALK_TWICE.replace("{off}", str(member.byte_offset))


# check_ptr_to_btf_access(): "} else { /* Old compat. Deprecated */ clear_trusted_flags(&flag);"
# for a register that is neither trusted nor RCU: the __rcu tag's MEM_RCU is dropped, so
# check_kfunc_args() refuses it for KF_RCU ("R1 must be a rcu pointer", -EINVAL)
WALK_ANSWER = ("reject", 22, "R1 must be a rcu pointer")


@pytest.mark.parametrize("field", ["real_parent", "group_leader"])
def test_a_pointer_walked_from_an_untrusted_one_is_not_rcu(field: str) -> None:
    """Kills trust.py walk_btf_pointer without its flag clearing for untrusted registers."""
    got = verify(parse_program(_walk_twice("bundled", field), "walk.s"), btf="bundled")
    err = got.error
    assert (got.verdict.value, err.errno if err else None, err.message if err else None) == \
        WALK_ANSWER


@pytest.mark.kernel
@pytest.mark.skipif(not AVAILABLE, reason=WHY)
@pytest.mark.parametrize("field", ["real_parent", "group_leader"])
def test_the_live_kernel_refuses_a_pointer_walked_from_an_untrusted_one(field: str) -> None:
    from kfunclab.btf import load_btf
    from kfunclab.kernel import kernel_verdict

    try:
        load_btf("live")
    except (OSError, KfunclabError) as exc:  # no readable kernel BTF: nothing to ask
        pytest.skip(f"no live kernel BTF: {exc}")
    kv = kernel_verdict(parse_program(_walk_twice("live", field), "walk.s"))
    assert (kv.verdict, None if kv.accepted else kv.errno, kv.error) == WALK_ANSWER


# --- may_goto: find_prev_entry() looks for a checkpoint at the may_goto itself -----------------
MAY_GOTO_PREV = """\
# SEC("socket")
	r7 = 5
	r5 = 1
	if r5 != 1 goto p
""" + "\tr5 = 1\n" * 6 + """\
p:
	r5 = 1
	if r5 != 1 goto q
""" + "\tr5 = 1\n" * 6 + """\
q:                                  # a checkpoint before the loop, where r7 is 5
	r7 = 0
loop:
	may_goto out
	goto loop
out:
	if r7 != 0 goto bad             # r7 is 0 on every exit
	r0 = 0
	exit
bad:
	r0 = *(u64 *)(r7 + 0)
	r0 = 0
	exit
"""


def test_may_goto_widens_only_against_its_own_checkpoint() -> None:
    """check_cond_jmp_op() -> find_prev_entry(): widen_imprecise_scalars() compares with the
    previous iteration's state *at the may_goto*; the first visit has none, so r7 (0) is not
    widened against the older checkpoint where it was 5. A find_prev_entry() that took any
    older checkpoint widens r7 to unknown and reaches ``bad``."""
    got = verify(parse_program(MAY_GOTO_PREV, "prev.s"), btf="bundled")
    assert (got.verdict.value, got.error) == ("accept", None)


@pytest.mark.kernel
@pytest.mark.skipif(not AVAILABLE, reason=WHY)
def test_the_live_kernel_accepts_the_may_goto_loop() -> None:
    from kfunclab.kernel import kernel_verdict

    assert kernel_verdict(parse_program(MAY_GOTO_PREV, "prev.s")).verdict == "accept"


# --- written from the source: what the text format or this kernel cannot show --------------------
RODATA = """\
# SEC("{sec}")
# MAP: ro array key=u32 value=u64 flags=128
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = ro ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
{body}out:
	r0 = 0
	exit
"""


def _with_data(text: str, data: bytes | None) -> tuple[str, int | None, str | None]:
    prog = parse_program(text, "rodata.s")
    prog = dataclasses.replace(prog, maps=(dataclasses.replace(prog.maps[0], data=data),))
    got = verify(prog, btf="bundled")
    err = got.error
    return got.verdict.value, err.errno if err else None, err.message if err else None


@pytest.mark.parametrize(("data", "answer"), [
    (bytes(range(1, 9)), ("accept", None, None)),
    (None, ("reject", 13, "R0 invalid mem access 'scalar'")),
])
def test_a_read_only_map_read_into_r0(data: bytes | None, answer: tuple) -> None:
    """check_map_access() -> bpf_map_direct_read() into the pointer's own register r0 (kills
    memory.py _map_value_access 'value_regno >= 0' -> '>= 1')."""
    body = "\tr0 = *(u16 *)(r0 + 2)\n\tif r0 == 0x0403 goto out\n\tr0 = *(u64 *)(r0 + 0)\n"
    assert _with_data(RODATA.format(sec="socket", body=body), data) == answer


@pytest.mark.parametrize(("data", "answer"), [
    (b"abcdefgh", ("reject", 22, "string is not zero-terminated")),
    (b"abc\0efgh", ("accept", None, None)),
])
def test_a_constant_string_must_be_terminated(data: bytes, answer: tuple) -> None:
    """check_reg_const_str(): no NUL between the offset and the end of the value -> -EINVAL
    (kills helper_engine.py _check_const_str errno 22 -> 21)."""
    body = ("\tr3 = r0\n\tr1 = r10\n\tr1 += -16\n\tr2 = 8\n\t*(u64 *)(r10 - 16) = r2\n"
            "\tcall bpf_strncmp\n")
    assert _with_data(RODATA.format(sec="tp_btf/task_newtask", body=body), data) == answer


@pytest.mark.parametrize(("caps", "answer"), [
    ("", ("accept", None, None)),
    ("# CAPS: -cap_perfmon, -cap_sys_admin\n",
     ("reject", 13, "invalid read from stack R1 off=-168 size=168")),
])
def test_a_kfunc_memory_argument_is_read_checked(caps: str, answer: tuple) -> None:
    """check_kfunc_args() KF_ARG_PTR_TO_MEM -> check_mem_reg(): a BPF_READ check, then a
    BPF_WRITE one. Without CAP_PERFMON the read may not reach below the stack written so far
    (check_stack_access_within_bounds(): min_valid_off = -allocated_stack), the write may.
    crash_kexec (destructive, pt_regs: 168 bytes) is not in this machine's kernel: written from
    the source (kills kfunc_args.py _pointer_arg without its read check)."""
    text = (f'# SEC("syscall")\n{caps}# crash_kexec\n\tr1 = r10\n\tr1 += -168\n'
            "\tcall crash_kexec\n\tr0 = 0\n\texit\n")
    got = verify(parse_program(text, "kexec.s"), btf="bundled")
    err = got.error
    assert (got.verdict.value, err.errno if err else None, err.message if err else None) == \
        answer
