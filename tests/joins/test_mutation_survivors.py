"""Programs written for the survivors of the mutation run over the rule modules
(docs/mutation-testing.md, "Survivors and why"): one program each that the planted bug would
answer differently. The answer (verdict, errno, first error) is written from the v6.18 source
named beside it, checked offline everywhere and against the running kernel where it can be
asked.

Several are joins: two arms meet at ``join`` after the first arm (the fall-through, explored
first) ran >= 2 jumps and >= 8 instructions since its last checkpoint, so ``is_state_visited()``
keeps that arm's state there; the second arm differs only in the piece the survivor dropped.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from kfunclab.isa.parser import parse_program
from kfunclab.kernel import kernel_available
from kfunclab.verifier import verify

AVAILABLE, WHY = kernel_available()

# the first arm's tail before "goto join": a never-taken jump and padding, so the join keeps
# the first arm's checkpoint (r5 is dead at the join)
PAD = "\tr5 = 1\n\tif r5 != 1 goto join\n" + "\tr5 = 1\n" * 6
LOOKUP0 = """\
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
"""


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    answer: tuple[str, int | None, str | None]  # verdict, errno, first error
    source: str  # the kernel code that decides it
    survivor: str  # the mutant it kills (docs/mutation-testing.md)


CASES = [
    Case("spin_unlock_without_lock_is_einval", """\
# SEC("tc")
# MAP: m array key=u32 value="struct val { struct bpf_spin_lock lock; u32 pad; }"
""" + LOOKUP0 + """\
	if r0 == 0 goto out
	r1 = r0
	call bpf_spin_unlock            # bug: no bpf_spin_lock first
out:
	r0 = 0
	exit
""", ("reject", 22, "bpf_spin_unlock without taking a lock"),
        "process_spin_lock(): -EINVAL", "helpers.py _h_spin_unlock errno 22 -> 21"),
    Case("zero_bytes_fill_a_known_zero", """\
# SEC("socket")
	*(u32 *)(r10 - 8) = 0           # BPF_ST imm 0: STACK_ZERO bytes, not a spill
	*(u32 *)(r10 - 4) = 0
	r1 = *(u32 *)(r10 - 4)          # four zero bytes read back: the constant 0
	if r1 == 0 goto out
	r0 = *(u64 *)(r1 + 0)           # dead: r1 is 0
out:
	r0 = 0
	exit
""", ("accept", None, None),
        "check_stack_read_fixed_off(): all STACK_ZERO -> __mark_reg_const_zero()",
        "memory.py _stack_read 'zeros += 1' removed"),
    Case("ringbuf_output_of_zero_bytes", """\
# SEC("socket")
# MAP: rb ringbuf key="struct rbk { }" value="struct rbv { }" max_entries=4096
	r1 = rb ll
	r2 = r10
	r2 += -8
	r3 = 0                          # ARG_CONST_SIZE_OR_ZERO: zero bytes are fine
	r4 = 0
	call bpf_ringbuf_output
	r0 = 0
	exit
""", ("accept", None, None),
        "bpf_ringbuf_output_proto: ARG_CONST_SIZE_OR_ZERO; check_mem_size_reg()",
        "helpers.py _h_ringbuf_output zero_ok True -> False"),
    Case("probe_read_size_is_precise_at_a_join", """\
# SEC("tp_btf/task_newtask")
	call bpf_get_prandom_u32
	r6 = r0
	if r6 > 10 goto other
	r2 = 8                          # first arm: a size that fits
""" + PAD + """\
	goto join
other:
	r2 = 16                         # second arm: too big for fp-8
join:
	r1 = r10
	r1 += -8
	r3 = 0
	call bpf_probe_read_kernel
	r0 = 0
	exit
""", ("reject", 22, "invalid write to stack R1 off=-8 size=16"),
        "check_mem_size_reg(): mark_chain_precision() of the size; regsafe() of a precise "
        "scalar", "helpers.py _h_write_buffer precision of R2 -> R3"),
    Case("narrow_fill_is_precise_at_a_join", """\
# SEC("socket")
# MAP: m array key=u32 value=u64
""" + LOOKUP0 + """\
	if r0 == 0 goto out
	r7 = r0
	call bpf_get_prandom_u32
	r6 = r0
	if r6 > 10 goto other
	r1 = 4                          # first arm: an offset inside the 8-byte value
""" + PAD + """\
	goto join
other:
	r1 = 100                        # second arm: far outside it
join:
	*(u64 *)(r10 - 16) = r1
	r2 = *(u32 *)(r10 - 16)         # a narrow fill: backtracking follows it to fp-16
	r7 += r2
	r0 = *(u8 *)(r7 + 0)
out:
	r0 = 0
	exit
""", ("reject", 13, "R7 min value is outside of the allowed memory range"),
        "check_stack_read_fixed_off(): the fill's jump history; backtrack_insn() -> "
        "precise fp-16", "memory.py _stack_read '_history_stack()' of a narrow fill removed"),
    Case("kptr_untrusted_store_of_zero_imm", """\
# SEC("tc")
# MAP: m array key=u32 value="struct slot { struct task_struct __kptr_untrusted *task; }"
""" + LOOKUP0 + """\
	if r0 == 0 goto out
	*(u64 *)(r0 + 0) = 0            # BPF_ST of 0 into a kptr field: allowed
out:
	r0 = 0
	exit
""", ("accept", None, None), "check_map_kptr_access(): BPF_ST imm must be 0",
        "kptrs.py kptr_access 'imm != 0' -> 'imm != 1'"),
    Case("iter_loop_with_a_spilled_counter", """\
# SEC("tp_btf/task_newtask")
	r1 = r10
	r1 += -8
	r2 = 0
	r3 = 100
	call bpf_iter_num_new
	r1 = 0
	*(u64 *)(r10 - 16) = r1         # a counter on the stack, bumped every iteration
loop:
	r1 = r10
	r1 += -8
	call bpf_iter_num_next
	if r0 == 0 goto done
	r1 = *(u64 *)(r10 - 16)
	r1 += 1
	*(u64 *)(r10 - 16) = r1
	goto loop
done:
	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
	r0 = 0
	exit
""", ("accept", None, None),
        "process_iter_next_call(): widen_imprecise_scalars() on spilled slots too",
        "kfuncs.py _widen_imprecise 'not slot.spilled.precise' flipped"),
    Case("atomic_on_an_unset_pointer", """\
# SEC("socket")
	r2 = 1
	lock *(u64 *)(r3 + 0) += r2     # bug: r3 was never set
	r0 = 0
	exit
""", ("reject", 13, "R3 !read_ok"), "check_atomic(): check_reg_arg(dst, SRC_OP)",
        "memory.py check_atomic '_read_reg(state, insn.dst)' removed"),
    Case("atomic_of_an_unset_value", """\
# SEC("socket")
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	lock *(u64 *)(r10 - 8) += r3    # bug: r3 was never set
	r0 = 0
	exit
""", ("reject", 13, "R3 !read_ok"), "check_atomic(): check_reg_arg(src, SRC_OP)",
        "memory.py _read_reg NOT_INIT check removed"),
    Case("kptr_untrusted_store_of_a_map_value", """\
# SEC("tc")
# MAP: m array key=u32 value="struct slot { struct task_struct __kptr_untrusted *task; }"
""" + LOOKUP0 + """\
	if r0 == 0 goto out
	*(u64 *)(r0 + 0) = r0           # bug: a map value is not a task_struct
out:
	r0 = 0
	exit
""", ("reject", 13, "invalid kptr access, R0 type=map_value expected=ptr_task_struct or "
                    "untrusted_ptr_task_struct"), "map_kptr_match_type()",
        "kptrs.py kptr_access 'value_regno >= 0' -> '>= 1'"),
    Case("iter_destroy_keeps_the_slot_below", """\
# SEC("tp_btf/task_newtask")
	r1 = 0
	*(u64 *)(r10 - 8) = r1          # a known zero just above the iterator
	r1 = r10
	r1 += -16
	r2 = 0
	r3 = 3
	call bpf_iter_num_new
	r1 = r10
	r1 += -16
	call bpf_iter_num_destroy       # frees fp-16 only (bpf_iter_num is one slot)
	r1 = *(u64 *)(r10 - 8)
	if r1 == 0 goto out
	r0 = *(u64 *)(r1 + 0)           # dead: still zero
out:
	r0 = 0
	exit
""", ("accept", None, None), "unmark_stack_slots_iter(): nr_slots of the iterator",
        "kfuncs.py _special_pre_return default slot count 1 -> 2"),
    Case("raw_write_into_uninit_stack_without_perfmon", """\
# SEC("socket")
# CAPS: -cap_perfmon, -cap_sys_admin
	r2 = 0
	r3 = r10
	r3 += -8                        # never written: ARG_PTR_TO_UNINIT_MEM needs no init
	r4 = 8
	call bpf_skb_load_bytes
	r0 = 0
	exit
""", ("accept", None, None), "check_stack_range_initialized(): meta->raw_mode",
        "memory.py _stack_range_initialized raw-mode 'continue' removed"),
    Case("zero_size_at_a_variable_offset_clobbers", """\
# SEC("tp_btf/task_newtask")
	r6 = *(u64 *)(r1 + 0)
	*(u64 *)(r10 - 24) = r6         # a spilled pointer
	call bpf_get_prandom_u32
	r0 &= 8
	r1 = r10
	r1 += -24
	r1 += r0                        # fp-24 or fp-16: bytes fp-24..fp-17 are walked
	r2 = 0
	r3 = 0
	call bpf_probe_read_kernel      # size 0, but a write: the spilled pointer is clobbered
	r6 = *(u64 *)(r10 - 24)
	r0 = *(u32 *)(r6 + 0)           # bug: r6 is a scalar now
	r0 = 0
	exit
""", ("reject", 13, "R6 invalid mem access 'scalar'"),
        "check_stack_range_initialized(): for (i = min_off; i < max_off + access_size; i++) "
        "with clobber", "memory.py _stack_range_initialized early return at size 0 (a bug: "
        "kfunclab accepted this; fixed)"),
    Case("irq_flag_with_its_low_byte_overwritten", """\
# SEC("tc")
	r1 = r10
	r1 += -8
	call bpf_local_irq_save
	r1 = 0
	*(u8 *)(r10 - 8) = r1           # bug: one byte of the saved flags overwritten
	r1 = r10
	r1 += -8
	call bpf_local_irq_restore
	r0 = 0
	exit
""", ("reject", 22, "expected an initialized irq flag as arg#0"),
        "process_irq_flag(): is_irq_flag_reg_valid_init()", "kfunc_args.py _irq_arg byte 7 -> 6"),
    Case("partial_spill_over_a_spill", """\
# SEC("socket")
	r1 = 5
	*(u64 *)(r10 - 8) = r1
	w1 = 0
	*(u32 *)(r10 - 8) = r1          # a spilled zero at fp-8..fp-5; fp-4..fp-1 become MISC
	r2 = *(u8 *)(r10 - 1)           # a MISC byte: unknown (an all-SPILL byte would be 0)
	if r2 == 0 goto out
	r0 = *(u64 *)(r2 + 0)           # bug: r2 is some byte
out:
	r0 = 0
	exit
""", ("reject", 13, "R2 invalid mem access 'scalar'"), "save_register_state(): the rest MISC",
        "memory.py _spill range end 0 -> 1"),
    Case("reference_ids_at_a_join", """\
# SEC("tp_btf/task_newtask")
	r6 = *(u64 *)(r1 + 0)           # the task argument: trusted, not referenced
	r1 = r6
	call bpf_task_acquire
	if r0 == 0 goto out
	r7 = r0                         # referenced
	call bpf_get_prandom_u32
	if r0 > 10 goto other
	r8 = r7                         # first arm: r8 holds the reference
	r9 = r6
""" + PAD + """\
	goto join
other:
	r8 = r6                         # second arm: the same types, but r8 is not referenced
	r9 = r7
join:
	r1 = r8
	call bpf_task_release
out:
	r0 = 0
	exit
""", ("reject", 22, "release kernel function bpf_task_release expects refcounted PTR_TO_BTF_ID"),
        "regsafe() -> check_ids(): a zero and a non-zero ref_obj_id never match",
        "equiv.py IdMap.check: zero vs non-zero id answers True"),
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


# --- written from the source only: what the text format cannot say ------------------------------
RODATA_READ = """\
# SEC("socket")
# MAP: ro array key=u32 value=u64 flags=128
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = ro ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = *(u16 *)(r0 + 2)           # a frozen read-only map: the bytes are known
	if r1 == 0x0403 goto out
	r0 = *(u64 *)(r1 + 0)           # dead when the value is known
out:
	r0 = 0
	exit
"""


@pytest.mark.parametrize(("data", "answer"), [
    (bytes(range(1, 9)), ("accept", None)),  # bytes 2..3 are 03 04: 0x0403, the branch is taken
    (None, ("reject", "R1 invalid mem access 'scalar'")),  # no contents: an unknown u16
])
def test_a_read_only_map_reads_its_contents(data: bytes | None,
                                            answer: tuple[str, str | None]) -> None:
    """check_map_access() -> bpf_map_direct_read(): a constant-offset load of 1, 2, 4 or 8 bytes
    from a frozen BPF_F_RDONLY_PROG map is the constant stored there (an object's .rodata; the
    text format cannot give a map contents, so this is offline only)."""
    prog = parse_program(RODATA_READ, "rodata.s")
    prog = dataclasses.replace(prog, maps=(dataclasses.replace(prog.maps[0], data=data),))
    got = verify(prog, btf="bundled")
    assert (got.verdict.value, got.error.message if got.error else None) == answer


@pytest.mark.parametrize(("body", "answer"), [
    ("\tr0 = 5\n\texit\n", ("accept", None)),  # any scalar, whatever the program type's range
    ("\tr0 = r1\n\texit\n",
     ("reject", "At subprogram exit the register R0 is not a scalar value (ctx)")),
])
def test_a_global_function_returns_any_scalar(body: str, answer: tuple[str, str | None]) -> None:
    """check_return_code(): a global function (verified on its own, entry_args from its BTF
    prototype) must return a scalar, but not one in the program type's range (cgroup_skb: [0, 1]).
    Global functions come from ELF objects only, so this one is built here."""
    prog = parse_program(f'# SEC("cgroup_skb/ingress")\n{body}', "global.s")
    got = verify(dataclasses.replace(prog, entry_args=("ctx",)), btf="bundled")
    assert (got.verdict.value, got.error.message if got.error else None) == answer


# --- a zero and a non-zero reference id, on pointers of one type and the same flags -------------
IDS_JOIN = """\
# SEC("tp_btf/task_newtask")
	r6 = *(u64 *)(r1 + 0)
	r1 = r6
	call bpf_task_acquire
	if r0 == 0 goto out
	r7 = r0                         # ptr_task_struct, referenced
	r6 = *(u64 *)(r6 + {wakee})     # task->last_wakee: ptr_task_struct, not referenced
	call bpf_get_prandom_u32
	if r0 > 10 goto other
	r8 = r7                         # first arm: r8 holds the reference
	r9 = r6
""" + PAD + """\
	goto join
other:
	r8 = r6                         # second arm: the same type and flags, no reference
	r9 = r7
join:
	r1 = r8
	call bpf_task_release
	r1 = r9
out:
	r0 = 0
	exit
"""
IDS_ANSWER = ("reject", 22, "R1 must be referenced or trusted")  # check_kfunc_args(), KF_RELEASE


def _ids_join(which: str) -> str:
    """The program with task_struct.last_wakee's offset in ``which`` BTF (offsets move between
    builds; a plain member, so walking it clears PTR_TRUSTED)."""
    from kfunclab.btf import load_btf

    btf = load_btf(which)
    task = btf.type_by_id(btf.find("task_struct", "STRUCT")[0])
    wakee = next(m for m in task.members if m.name == "last_wakee")  # type: ignore[attr-defined]
    return IDS_JOIN.replace("{wakee}", str(wakee.byte_offset))


def test_a_zero_and_a_nonzero_ref_id_never_match() -> None:
    """regsafe() -> check_ids(): old r8 references the task, cur r8 (same type, same flags) does
    not; a comparison that let 0 match an id would prune the second arm and accept."""
    got = verify(parse_program(_ids_join("bundled"), "ids.s"), btf="bundled")
    err = got.error
    assert (got.verdict.value, err.errno if err else None, err.message if err else None) == \
        IDS_ANSWER


@pytest.mark.kernel
@pytest.mark.skipif(not AVAILABLE, reason=WHY)
def test_the_live_kernel_never_matches_a_zero_and_a_nonzero_ref_id() -> None:
    from kfunclab.kernel import kernel_verdict

    kv = kernel_verdict(parse_program(_ids_join("live"), "ids.s"))
    assert (kv.verdict, kv.errno, kv.error) == IDS_ANSWER
