"""Helper arguments and calls under a lock: the checks a mutation run found no test for.

Each program's expected verdict, errno and message are written here from the v6.18 source named
beside it; the live half re-asks the running kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kfunclab.isa.parser import parse_program
from kfunclab.kernel import kernel_available
from kfunclab.verifier import verify

MEM_EXPECTED = "expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"
LOCKED_MAP = ('# MAP: vals array key=u32 value="struct val { struct bpf_spin_lock lock; u32 pad; '
              'u64 count; }"\n')
LOOKUP_KEY0 = """\
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = vals ll
	call bpf_map_lookup_elem
"""


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    answer: tuple[str, int | None, str | None]  # verdict, errno, message
    source: str


def _tc(desc: str, body: str, maps: str = "# MAP: vals array key=u32 value=u64\n") -> str:
    return f'# SEC("tc")\n{maps}# {desc}\n{body}'


CASES = [
    Case("map_arg_not_read_ok", _tc("R1 clobbered by a helper before the lookup", """\
	call bpf_get_prandom_u32
	r2 = r10
	r2 += -4
	call bpf_map_lookup_elem  # bug: R1 is not initialised
	r0 = 0
	exit
"""), ("reject", 13, "R1 !read_ok"), "check_func_arg() -> check_reg_arg(): !read_ok"),
    Case("mem_arg_not_read_ok", _tc("no key pointer at all", """\
	r1 = vals ll
	call bpf_map_lookup_elem  # bug: R2 is not initialised
	r0 = 0
	exit
"""), ("reject", 13, "R2 !read_ok"), "check_func_arg(): ARG_PTR_TO_MAP_KEY, !read_ok"),
    Case("mem_arg_scalar", _tc("the key is a number", """\
	r1 = vals ll
	r2 = 0  # bug: not a pointer
	call bpf_map_lookup_elem
	r0 = 0
	exit
"""), ("reject", 13, "R2 type=scalar " + MEM_EXPECTED), "check_reg_type(): compatible_reg_types"),
    Case("mem_arg_maybe_null", _tc("the key is an unchecked lookup result", LOOKUP_KEY0 + """\
	r2 = r0  # bug: maybe NULL
	r1 = vals ll
	call bpf_map_lookup_elem
	r0 = 0
	exit
""", "# MAP: vals hash key=u32 value=u64\n"),
         ("reject", 13, "R2 type=map_value_or_null " + MEM_EXPECTED),
         "check_reg_type(): PTR_MAYBE_NULL is not in the allowed set"),
    Case("mem_arg_checked_value_ok", _tc("the key is a checked lookup result", LOOKUP_KEY0 + """\
	if r0 == 0 goto out
	r2 = r0
	r1 = vals ll
	call bpf_map_lookup_elem
out:
	r0 = 0
	exit
""", "# MAP: vals hash key=u32 value=u64\n"), ("accept", None, None),
         "check_reg_type(): PTR_TO_MAP_VALUE is a valid key"),
    Case("helper_inside_spin_lock", _tc("bpf_get_prandom_u32 between lock and unlock",
                                        LOOKUP_KEY0 + """\
	if r0 == 0 goto out
	r6 = r0
	r1 = r6
	call bpf_spin_lock
	call bpf_get_prandom_u32  # bug: a call while locked
	r1 = r6
	call bpf_spin_unlock
out:
	r0 = 0
	exit
""", LOCKED_MAP), ("reject", 22, "function calls are not allowed while holding a lock"),
         "do_check_insn(): BPF_CALL with active_locks, -EINVAL"),
    Case("kfunc_inside_spin_lock", _tc("bpf_rcu_read_lock between lock and unlock",
                                       LOOKUP_KEY0 + """\
	if r0 == 0 goto out
	r6 = r0
	r1 = r6
	call bpf_spin_lock
	call bpf_rcu_read_lock  # bug: a kfunc call while locked
	call bpf_rcu_read_unlock
	r1 = r6
	call bpf_spin_unlock
out:
	r0 = 0
	exit
""", LOCKED_MAP), ("reject", 22, "function calls are not allowed while holding a lock"),
         "do_check_insn(): only the graph-lock kfuncs are allowed while locked"),
    Case("current_task_btf_is_trusted_ok",
         '# SEC("tp_btf/task_newtask")\n# bpf_get_current_task_btf() is a trusted task\n'
         """\
	call bpf_get_current_task_btf
	r1 = r0
	call bpf_task_acquire
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
""", ("accept", None, None), "bpf_get_current_task_btf_proto: RET_PTR_TO_BTF_ID_TRUSTED"),
    Case("current_task_btf_is_not_a_reference",
         '# SEC("tp_btf/task_newtask")\n# releasing the current task, never acquired\n'
         """\
	call bpf_get_current_task_btf
	r1 = r0
	call bpf_task_release  # bug: not a reference
	r0 = 0
	exit
""", ("reject", 22, "release kernel function bpf_task_release expects refcounted PTR_TO_BTF_ID"),
         "check_kfunc_args(): KF_RELEASE needs reg->ref_obj_id"),
]


# --- more helpers; the answers are (verdict, errno, message) ---------------------------------
KPTR_MAP = ('# MAP: parked array key=u32 value="struct parked_task { u64 pad; '
            'struct task_struct __kptr *task; }"\n')

MORE = [
    Case('printk_size_uninit', """\
# SEC("syscall")
# printk size uninit
	call bpf_get_prandom_u32
	r1 = r10
	r1 += -8
	call bpf_trace_printk
	r0 = 0
	exit
""", ('reject', 13, 'R2 !read_ok'),
         'bpf_trace_printk_proto: ARG_PTR_TO_MEM | MEM_RDONLY + ARG_CONST_SIZE'),
    Case('printk_clobbers_r2', """\
# SEC("syscall")
# printk clobbers r2
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -8
	r2 = 8
	call bpf_trace_printk
	r0 = r2
	exit
""", ('reject', 13, 'R2 !read_ok'),
         'bpf_trace_printk_proto: ARG_PTR_TO_MEM | MEM_RDONLY + ARG_CONST_SIZE'),
    Case('printk_ok', """\
# SEC("syscall")
# printk ok
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -8
	r2 = 8
	call bpf_trace_printk
	r0 = 0
	exit
""", ('accept', None, None),
         'bpf_trace_printk_proto: ARG_PTR_TO_MEM | MEM_RDONLY + ARG_CONST_SIZE'),
    Case('printk_ret_scalar', """\
# SEC("syscall")
# printk ret scalar
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -8
	r2 = 8
	call bpf_trace_printk
	r0 = *(u64 *)(r0 + 0)
	r0 = 0
	exit
""", ('reject', 13, "R0 invalid mem access 'scalar'"),
         'bpf_trace_printk_proto: ARG_PTR_TO_MEM | MEM_RDONLY + ARG_CONST_SIZE'),
    Case('printk_size_too_big', """\
# SEC("syscall")
# printk size too big
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -8
	r2 = 16
	call bpf_trace_printk
	r0 = 0
	exit
""", ('reject', 22, 'invalid read from stack R1 off=-8 size=16'),
         'bpf_trace_printk_proto: ARG_PTR_TO_MEM | MEM_RDONLY + ARG_CONST_SIZE'),
    Case('current_task_clobbers', """\
# SEC("tp_btf/task_newtask")
# current task clobbers
	r1 = 1
	call bpf_get_current_task_btf
	r0 = r1
	exit
""", ('reject', 13, 'R1 !read_ok'),
         'bpf_get_current_task_btf_proto; check_helper_call() clobbers R1-R5'),
    Case('kptr_dst_not_map', """\
# SEC("syscall")
{KPTR_MAP}# kptr dst not map
	r1 = r10
	r1 += -16
	r2 = 0
	call bpf_kptr_xchg
	r0 = 0
	exit
""", ('reject', 13, 'R1 type=fp expected=map_value, ptr_'),
         'bpf_kptr_xchg_proto; check_reg_type(), process_kptr_func(), map_kptr_match_type()'),
    Case('kptr_dst_maybe_null', """\
# SEC("syscall")
{KPTR_MAP}# kptr dst maybe null
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = parked ll
	call bpf_map_lookup_elem
	r6 = r0
	r1 = r6
	r1 += 8
	r2 = 0
	call bpf_kptr_xchg
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
""", ('accept', None, None),
         'bpf_kptr_xchg_proto; check_reg_type(), process_kptr_func(), map_kptr_match_type()'),
    Case('kptr_null_in_ok', """\
# SEC("syscall")
{KPTR_MAP}# kptr null in ok
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = parked ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r6 = r0
	r1 = r6
	r1 += 8
	r2 = 0
	call bpf_kptr_xchg
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
""", ('accept', None, None),
         'bpf_kptr_xchg_proto; check_reg_type(), process_kptr_func(), map_kptr_match_type()'),
    Case('kptr_not_at_off', """\
# SEC("syscall")
{KPTR_MAP}# kptr not at off
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = parked ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r6 = r0
	r1 = r6
	r2 = 0
	call bpf_kptr_xchg
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
""", ('reject', 13, "off=0 doesn't point to kptr"),
         'bpf_kptr_xchg_proto; check_reg_type(), process_kptr_func(), map_kptr_match_type()'),
    Case('kptr_new_not_ref', """\
# SEC("tp_btf/task_newtask")
{KPTR_MAP}# kptr new not ref
	r7 = *(u64 *)(r1 + 0)
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = parked ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r6 = r0
	r1 = r6
	r1 += 8
	r2 = r7
	call bpf_kptr_xchg
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
""", ('reject', 22, 'R2 must be referenced when passed to release function'),
         'bpf_kptr_xchg_proto; check_reg_type(), process_kptr_func(), map_kptr_match_type()'),
    Case('kptr_new_scalar', """\
# SEC("syscall")
{KPTR_MAP}# kptr new scalar
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = parked ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r6 = r0
	r1 = r6
	r1 += 8
	r2 = 5
	call bpf_kptr_xchg
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
""", ('reject', 13, 'R2 type=scalar expected=ptr_, trusted_ptr_, rcu_ptr_'),
         'bpf_kptr_xchg_proto; check_reg_type(), process_kptr_func(), map_kptr_match_type()'),
    Case('kptr_new_wrong_type', """\
# SEC("syscall")
{KPTR_MAP}# kptr new wrong type
	call bpf_cpumask_create
	if r0 == 0 goto out0
	r7 = r0
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = parked ll
	call bpf_map_lookup_elem
	if r0 == 0 goto rel
	r6 = r0
	r1 = r6
	r1 += 8
	r2 = r7
	call bpf_kptr_xchg
	if r0 == 0 goto out0
	r1 = r0
	call bpf_task_release
out0:
	r0 = 0
	exit
rel:
	r1 = r7
	call bpf_cpumask_release
	r0 = 0
	exit
""", ('reject', 13, 'invalid kptr access, R2 type=ptr_bpf_cpumask expected=ptr_task_struct'),
         'bpf_kptr_xchg_proto; check_reg_type(), process_kptr_func(), map_kptr_match_type()'),
    Case('kptr_var_off', """\
# SEC("syscall")
{KPTR_MAP}# kptr var off
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = parked ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r6 = r0
	call bpf_get_prandom_u32
	r0 &= 8
	r1 = r6
	r1 += r0
	r2 = 0
	call bpf_kptr_xchg
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
""", ('reject', 22, "R1 doesn't have constant offset. kptr has to be at the constant offset"),
         'bpf_kptr_xchg_proto; check_reg_type(), process_kptr_func(), map_kptr_match_type()'),
    Case('comm_zero_size', """\
# SEC("tp_btf/task_newtask")
# comm zero size
	r1 = r10
	r1 += -16
	r2 = 0
	call bpf_get_current_comm
	r0 = 0
	exit
""", ('reject', 13, 'R2 invalid zero-sized read: u64=[0,0]'),
         'bpf_get_current_comm_proto: ARG_PTR_TO_UNINIT_MEM + ARG_CONST_SIZE'),
    Case('comm_ok', """\
# SEC("tp_btf/task_newtask")
# comm ok
	r1 = r10
	r1 += -16
	r2 = 16
	call bpf_get_current_comm
	r0 = *(u64 *)(r10 - 8)
	r0 = 0
	exit
""", ('accept', None, None),
         'bpf_get_current_comm_proto: ARG_PTR_TO_UNINIT_MEM + ARG_CONST_SIZE'),
    Case('comm_size_too_big', """\
# SEC("tp_btf/task_newtask")
# comm size too big
	r1 = r10
	r1 += -16
	r2 = 24
	call bpf_get_current_comm
	r0 = 0
	exit
""", ('reject', 22, 'invalid write to stack R1 off=-16 size=24'),
         'bpf_get_current_comm_proto: ARG_PTR_TO_UNINIT_MEM + ARG_CONST_SIZE'),
    Case('probe_read_zero_ok', """\
# SEC("tp_btf/task_newtask")
# probe read zero ok
	r1 = r10
	r1 += -16
	r2 = 0
	r3 = 0
	call bpf_probe_read_kernel
	r0 = 0
	exit
""", ('accept', None, None),
         'bpf_probe_read_kernel_proto: ARG_CONST_SIZE_OR_ZERO; check_mem_size_reg()'),
    Case('probe_read_neg', """\
# SEC("tp_btf/task_newtask")
# probe read neg
	r1 = r10
	r1 += -16
	r2 = -1
	r3 = 0
	call bpf_probe_read_kernel
	r0 = 0
	exit
""", ('reject', 13, "R2 min value is negative, either use unsigned or 'var &= const'"),
         'bpf_probe_read_kernel_proto: ARG_CONST_SIZE_OR_ZERO; check_mem_size_reg()'),
    Case('probe_read_unbounded', """\
# SEC("tp_btf/task_newtask")
# probe read unbounded
	call bpf_get_prandom_u32
	r2 = r0
	r1 = r10
	r1 += -16
	r3 = 0
	call bpf_probe_read_kernel
	r0 = 0
	exit
""", ('reject', 13, "R2 min value is negative, either use unsigned or 'var &= const'"),
         'bpf_probe_read_kernel_proto: ARG_CONST_SIZE_OR_ZERO; check_mem_size_reg()'),
    Case('probe_read_size_ptr', """\
# SEC("tp_btf/task_newtask")
# probe read size ptr
	r1 = r10
	r1 += -16
	r2 = r10
	r3 = 0
	call bpf_probe_read_kernel
	r0 = 0
	exit
""", ('reject', 13, 'R2 type=fp expected=scalar'),
         'bpf_probe_read_kernel_proto: ARG_CONST_SIZE_OR_ZERO; check_mem_size_reg()'),
    Case('probe_read_src_uninit', """\
# SEC("tp_btf/task_newtask")
# probe read src uninit
	call bpf_get_prandom_u32
	r1 = r10
	r1 += -16
	r2 = 8
	call bpf_probe_read_kernel
	r0 = 0
	exit
""", ('reject', 13, 'R3 !read_ok'),
         'bpf_probe_read_kernel_proto: ARG_CONST_SIZE_OR_ZERO; check_mem_size_reg()'),
    Case('probe_read_bounded_var', """\
# SEC("tp_btf/task_newtask")
# probe read bounded var
	call bpf_get_prandom_u32
	r2 = r0
	r2 &= 15
	r1 = r10
	r1 += -16
	r3 = 0
	call bpf_probe_read_kernel
	r0 = 0
	exit
""", ('accept', None, None),
         'bpf_probe_read_kernel_proto: ARG_CONST_SIZE_OR_ZERO; check_mem_size_reg()'),
    Case('probe_read_var_too_big', """\
# SEC("tp_btf/task_newtask")
# probe read var too big
	call bpf_get_prandom_u32
	r2 = r0
	r2 &= 31
	r1 = r10
	r1 += -16
	r3 = 0
	call bpf_probe_read_kernel
	r0 = 0
	exit
""", ('reject', 22, 'invalid write to stack R1 off=-16 size=31'),
         'bpf_probe_read_kernel_proto: ARG_CONST_SIZE_OR_ZERO; check_mem_size_reg()'),
    Case('rb_not_ringbuf', """\
# SEC("syscall")
# MAP: vals array key=u32 value=u64
# rb not ringbuf
	r1 = vals ll
	r2 = 16
	r3 = 0
	call bpf_ringbuf_reserve
	r0 = 0
	exit
""", ('reject', 22, 'cannot pass map_type 2 into func bpf_ringbuf_reserve#131'),
         'check_map_func_compatibility(): -EINVAL with the map type number'),
]
CASES += [Case(c.name, c.text.replace("{KPTR_MAP}", KPTR_MAP), c.answer, c.source)
          for c in MORE]


# --- ringbuf records: bpf_ringbuf_reserve / submit / discard (acquire, release, bounds) -------
RINGBUF_MAP = '# MAP: rb ringbuf key="struct rbk { }" value="struct rbv { }" max_entries=4096\n'
RINGBUF = [
    Case('rb_ok', """\
# SEC("syscall")
{RINGBUF_MAP}# rb ok
	r1 = rb ll
	r2 = 16
	r3 = 0
	call bpf_ringbuf_reserve
	if r0 == 0 goto out
	r1 = 7
	*(u64 *)(r0 + 8) = r1
	r1 = r0
	r2 = 0
	call bpf_ringbuf_submit
out:
	r0 = 0
	exit
""", ('accept', None, None),
         "bpf_ringbuf_reserve_proto / bpf_ringbuf_submit_proto; check_func_arg()"),
    Case('rb_past_end', """\
# SEC("syscall")
{RINGBUF_MAP}# rb past end
	r1 = rb ll
	r2 = 16
	r3 = 0
	call bpf_ringbuf_reserve
	if r0 == 0 goto out
	r1 = 7
	*(u64 *)(r0 + 16) = r1
	r1 = r0
	r2 = 0
	call bpf_ringbuf_submit
out:
	r0 = 0
	exit
""", ('reject', 13, 'R0 min value is outside of the allowed memory range'),
         "bpf_ringbuf_reserve_proto / bpf_ringbuf_submit_proto; check_func_arg()"),
    Case('rb_leak', """\
# SEC("syscall")
{RINGBUF_MAP}# rb leak
	r1 = rb ll
	r2 = 16
	r3 = 0
	call bpf_ringbuf_reserve
	if r0 == 0 goto out
out:
	r0 = 0
	exit
""", ('reject', 22, 'BPF_EXIT instruction in main prog would lead to reference leak'),
         "bpf_ringbuf_reserve_proto / bpf_ringbuf_submit_proto; check_func_arg()"),
    Case('rb_size_var', """\
# SEC("syscall")
{RINGBUF_MAP}# rb size var
	call bpf_get_prandom_u32
	r2 = r0
	r2 &= 15
	r1 = rb ll
	r3 = 0
	call bpf_ringbuf_reserve
	if r0 == 0 goto out
	r1 = r0
	r2 = 0
	call bpf_ringbuf_discard
out:
	r0 = 0
	exit
""", ('reject', 13, "R2 is not a known constant'"),
         "bpf_ringbuf_reserve_proto / bpf_ringbuf_submit_proto; check_func_arg()"),
    Case('rb_size_uninit', """\
# SEC("syscall")
{RINGBUF_MAP}# rb size uninit
	call bpf_get_prandom_u32
	r1 = rb ll
	call bpf_ringbuf_reserve
	r0 = 0
	exit
""", ('reject', 13, 'R2 !read_ok'),
         "bpf_ringbuf_reserve_proto / bpf_ringbuf_submit_proto; check_func_arg()"),
    Case('rb_submit_unchecked', """\
# SEC("syscall")
{RINGBUF_MAP}# rb submit unchecked
	r1 = rb ll
	r2 = 16
	r3 = 0
	call bpf_ringbuf_reserve
	r1 = r0
	r2 = 0
	call bpf_ringbuf_submit
	r0 = 0
	exit
""", ('reject', 13, 'R1 type=ringbuf_mem_or_null expected=ringbuf_mem'),
         "bpf_ringbuf_reserve_proto / bpf_ringbuf_submit_proto; check_func_arg()"),
    Case('rb_submit_offset', """\
# SEC("syscall")
{RINGBUF_MAP}# rb submit offset
	r1 = rb ll
	r2 = 16
	r3 = 0
	call bpf_ringbuf_reserve
	if r0 == 0 goto out
	r1 = r0
	r1 += 8
	r2 = 0
	call bpf_ringbuf_submit
out:
	r0 = 0
	exit
""", ('reject', 22, 'R1 must have zero offset when passed to release func or trusted arg to kfunc'),
         "bpf_ringbuf_reserve_proto / bpf_ringbuf_submit_proto; check_func_arg()"),
    Case('rb_submit_stack', """\
# SEC("syscall")
{RINGBUF_MAP}# rb submit stack
	r1 = r10
	r1 += -16
	r2 = 0
	call bpf_ringbuf_submit
	r0 = 0
	exit
""", ('reject', 13, 'R1 type=fp expected=ringbuf_mem'),
         "bpf_ringbuf_reserve_proto / bpf_ringbuf_submit_proto; check_func_arg()"),
    Case('rb_submit_twice', """\
# SEC("syscall")
{RINGBUF_MAP}# rb submit twice
	r1 = rb ll
	r2 = 16
	r3 = 0
	call bpf_ringbuf_reserve
	if r0 == 0 goto out
	r6 = r0
	r1 = r0
	r2 = 0
	call bpf_ringbuf_submit
	r1 = r6
	r2 = 0
	call bpf_ringbuf_discard
out:
	r0 = 0
	exit
""", ('reject', 13, 'R1 type=scalar expected=ringbuf_mem'),
         "bpf_ringbuf_reserve_proto / bpf_ringbuf_submit_proto; check_func_arg()"),
    Case('rb_submit_uninit', """\
# SEC("syscall")
{RINGBUF_MAP}# rb submit uninit
	call bpf_get_prandom_u32
	r2 = 0
	call bpf_ringbuf_submit
	r0 = 0
	exit
""", ('reject', 13, 'R1 !read_ok'),
         "bpf_ringbuf_reserve_proto / bpf_ringbuf_submit_proto; check_func_arg()"),
    Case('rb_flags_uninit', """\
# SEC("syscall")
{RINGBUF_MAP}# rb flags uninit
	r1 = rb ll
	r2 = 16
	call bpf_ringbuf_reserve
	r0 = 0
	exit
""", ('reject', 13, 'R3 !read_ok'),
         "bpf_ringbuf_reserve_proto / bpf_ringbuf_submit_proto; check_func_arg()"),
    Case('rb_use_after_submit', """\
# SEC("syscall")
{RINGBUF_MAP}# rb use after submit
	r1 = rb ll
	r2 = 16
	r3 = 0
	call bpf_ringbuf_reserve
	if r0 == 0 goto out
	r6 = r0
	r1 = r0
	r2 = 0
	call bpf_ringbuf_submit
	r1 = 7
	*(u64 *)(r6 + 0) = r1
out:
	r0 = 0
	exit
""", ('reject', 13, "R6 invalid mem access 'scalar'"),
         "bpf_ringbuf_reserve_proto / bpf_ringbuf_submit_proto; check_func_arg()"),
    Case('rb_reserve_size_ptr', """\
# SEC("syscall")
{RINGBUF_MAP}# rb reserve size ptr
	r1 = rb ll
	r2 = r10
	r3 = 0
	call bpf_ringbuf_reserve
	r0 = 0
	exit
""", ('reject', 13, 'R2 type=fp expected=scalar'),
         "bpf_ringbuf_reserve_proto / bpf_ringbuf_submit_proto; check_func_arg()"),
    Case('rb_submit_scalar', """\
# SEC("syscall")
{RINGBUF_MAP}# rb submit scalar
	r1 = 0
	r2 = 0
	call bpf_ringbuf_submit
	r0 = 0
	exit
""", ('reject', 13, 'R1 type=scalar expected=ringbuf_mem'),
         "bpf_ringbuf_reserve_proto / bpf_ringbuf_submit_proto; check_func_arg()"),
    Case('rb_reserve_clobbers', """\
# SEC("syscall")
{RINGBUF_MAP}# rb reserve clobbers
	r1 = rb ll
	r2 = 16
	r3 = 0
	r4 = 1
	call bpf_ringbuf_reserve
	if r0 == 0 goto out
	r6 = r0
	r1 = r0
	r2 = 0
	call bpf_ringbuf_discard
	r0 = r4
	exit
out:
	r0 = 0
	exit
""", ('reject', 13, 'R4 !read_ok'),
         "bpf_ringbuf_reserve_proto / bpf_ringbuf_submit_proto; check_func_arg()"),
    Case('rb_discard_ok', """\
# SEC("syscall")
{RINGBUF_MAP}# rb discard ok
	r1 = rb ll
	r2 = 8
	r3 = 0
	call bpf_ringbuf_reserve
	if r0 == 0 goto out
	r1 = r0
	r2 = 0
	call bpf_ringbuf_discard
out:
	r0 = 0
	exit
""", ('accept', None, None),
         "bpf_ringbuf_reserve_proto / bpf_ringbuf_submit_proto; check_func_arg()"),
]
CASES += [Case(c.name, c.text.replace("{RINGBUF_MAP}", RINGBUF_MAP), c.answer, c.source)
          for c in RINGBUF]


# --- the return value at exit (check_return_code(): cgroup_skb [0, 1], egress [0, 3]; cgroup_sock
# [0, 1]; verbose_invalid_scalar() prints smin/smax where they are not the s64 extremes) and
# bpf_spin_lock's map argument (process_spin_lock()) -------------------------------------------
EXIT_AND_LOCK = [
    Case('ret_cgroup_skb_4', """\
# SEC("cgroup_skb/ingress")
# returns 4
	r0 = 4
	exit
""", ('reject', 22,
    'At program exit the register R0 has smin=4 smax=4 should have been in [0, 1]'),
         'check_return_code()'),
    Case('ret_cgroup_skb_3_ok', """\
# SEC("cgroup_skb/ingress")
# returns 3
	r0 = 3
	exit
""", ('reject', 22,
    'At program exit the register R0 has smin=3 smax=3 should have been in [0, 1]'),
         'check_return_code()'),
    Case('ret_cgroup_skb_unknown', """\
# SEC("cgroup_skb/ingress")
# returns an unknown value
	call bpf_get_prandom_u32
	exit
""", ('reject', 22,
    'At program exit the register R0 has unknown scalar value should have been in [0, 1]'),
         'check_return_code()'),
    Case('ret_cgroup_skb_masked_ok', """\
# SEC("cgroup_skb/ingress")
# returns r0 & 3
	call bpf_get_prandom_u32
	r0 &= 3
	exit
""", ('reject', 22,
    'At program exit the register R0 has smin=0 smax=3 should have been in [0, 1]'),
         'check_return_code()'),
    Case('ret_cgroup_sock_2', """\
# SEC("cgroup/sock_create")
# returns 2
	r0 = 2
	exit
""", ('reject', 22,
    'At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]'),
         'check_return_code()'),
    Case('ret_cgroup_sock_1_ok', """\
# SEC("cgroup/sock_create")
# returns 1
	r0 = 1
	exit
""", ('accept', None, None), 'check_return_code()'),
    Case('ret_cgroup_skb_ptr', """\
# SEC("cgroup_skb/ingress")
# returns the context
	r0 = r1
	exit
""", ('reject', 22, 'At program exit the register R0 is not a known value (ctx)'),
         'check_return_code()'),
    Case('spin_lock_wrong_off', """\
# SEC("tc")
{LOCK_LAST}
# lock at the wrong offset
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = vals ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = r0
	call bpf_spin_lock
	r1 = r0
	call bpf_spin_unlock
out:
	r0 = 0
	exit
""", ('reject', 22, "off 0 doesn't point to 'struct bpf_spin_lock' that is at 8"),
         'process_spin_lock()'),
    Case('spin_lock_no_lock', """\
# SEC("tc")
# MAP: vals array key=u32 value=u64
# a map without a lock
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = vals ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = r0
	call bpf_spin_lock
out:
	r0 = 0
	exit
""", ('reject', 22, "map 'vals' has no valid bpf_spin_lock"), 'process_spin_lock()'),
    Case('spin_lock_twice', """\
# SEC("tc")
{LOCK_FIRST}
# locked twice
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = vals ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r6 = r0
	r1 = r6
	call bpf_spin_lock
	r1 = r6
	call bpf_spin_lock
out:
	r0 = 0
	exit
""", ('reject', 22, 'function calls are not allowed while holding a lock'), 'process_spin_lock()'),
    Case('ret_cgroup_skb_egress_3_ok', """\
# SEC("cgroup_skb/egress")
# egress may return 3
	r0 = 3
	exit
""", ('accept', None, None), 'check_return_code()'),
    Case('ret_cgroup_skb_egress_4', """\
# SEC("cgroup_skb/egress")
# egress returns 4
	r0 = 4
	exit
""", ('reject', 22,
    'At program exit the register R0 has smin=4 smax=4 should have been in [0, 3]'),
         'check_return_code()'),
    Case('ret_cgroup_skb_negative', """\
# SEC("cgroup_skb/ingress")
# returns -1
	r0 = -1
	exit
""", ('reject', 22,
    'At program exit the register R0 has smin=-1 smax=-1 should have been in [0, 1]'),
         'check_return_code()'),
]
LOCK_LAST_MAP = ('# MAP: vals array key=u32 value="struct val { u64 count; '
                 'struct bpf_spin_lock lock; u32 pad; }"\n')
CASES += [Case(c.name, c.text.replace("{LOCK_LAST}\n", LOCK_LAST_MAP)
               .replace("{LOCK_FIRST}\n", LOCKED_MAP), c.answer, c.source)
          for c in EXIT_AND_LOCK]
RINGBUF_OUTPUT = [
    Case('rbout_ok', """\
# SEC("syscall")
{RINGBUF_MAP}# output 8 stack bytes
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = rb ll
	r2 = r10
	r2 += -8
	r3 = 8
	r4 = 0
	call bpf_ringbuf_output
	r0 = 0
	exit
""", ('accept', None, None),
         "bpf_ringbuf_output_proto; check_map_func_compatibility()"),
    Case('rbout_too_big', """\
# SEC("syscall")
{RINGBUF_MAP}# output 16 bytes of an 8-byte buffer
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = rb ll
	r2 = r10
	r2 += -8
	r3 = 16
	r4 = 0
	call bpf_ringbuf_output
	r0 = 0
	exit
""", ('reject', 22, 'invalid read from stack R2 off=-8 size=16'),
         "bpf_ringbuf_output_proto; check_map_func_compatibility()"),
    Case('rbout_not_ringbuf', """\
# SEC("syscall")
# MAP: vals hash key=u32 value=u64
# output to a hash map
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = vals ll
	r2 = r10
	r2 += -8
	r3 = 8
	r4 = 0
	call bpf_ringbuf_output
	r0 = 0
	exit
""", ('reject', 22, 'cannot pass map_type 1 into func bpf_ringbuf_output#130'),
         "bpf_ringbuf_output_proto; check_map_func_compatibility()"),
    Case('rbout_flags_uninit', """\
# SEC("syscall")
{RINGBUF_MAP}# no flags
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = rb ll
	r2 = r10
	r2 += -8
	r3 = 8
	call bpf_ringbuf_output
	r0 = 0
	exit
""", ('reject', 13, 'R4 !read_ok'),
         "bpf_ringbuf_output_proto; check_map_func_compatibility()"),
]
CASES += [Case(c.name, c.text.replace("{RINGBUF_MAP}", RINGBUF_MAP), c.answer, c.source)
          for c in RINGBUF_OUTPUT]
MAP_DELETE = [
    Case('map_delete_ok', """\
# SEC("tc")
# MAP: vals hash key=u32 value=u64
# delete key 0
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = vals ll
	call bpf_map_delete_elem
	r0 = 0
	exit
""", ('accept', None, None),
         "bpf_map_delete_elem_proto: ARG_PTR_TO_MAP_KEY (uninit stack is fine for root)"),
    Case('map_delete_key_uninit', """\
# SEC("tc")
# MAP: vals hash key=u32 value=u64
# delete with an unwritten key
	r2 = r10
	r2 += -4
	r1 = vals ll
	call bpf_map_delete_elem
	r0 = 0
	exit
""", ('accept', None, None),
         "bpf_map_delete_elem_proto: ARG_PTR_TO_MAP_KEY (uninit stack is fine for root)"),
    Case('map_delete_key_scalar', """\
# SEC("tc")
# MAP: vals hash key=u32 value=u64
# delete with a number as the key
	r2 = 0
	r1 = vals ll
	call bpf_map_delete_elem
	r0 = 0
	exit
""", ('reject', 13,
          'R2 type=scalar expected=fp, pkt, pkt_met'
          'a, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_'),
         "bpf_map_delete_elem_proto: ARG_PTR_TO_MAP_KEY (uninit stack is fine for root)"),
]
CASES += MAP_DELETE
AVAILABLE, WHY = kernel_available()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_kfunclab_agrees_with_the_written_answer(case: Case) -> None:
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


# --- a scalar spilled as u32 and filled: the id survives only a spill the value fits in ----------
# check_stack_write_fixed_off() keeps the id when get_reg_width() <= 32; the fill
# (check_stack_read_fixed_off(), copy_register_state()) keeps it, so the bound learned on r8
# holds for r7. kfunclab drops the id on every narrow fill: a refusal the kernel does not make.
NARROW_SPILL_OK = """\
# SEC("syscall")
# a 32-bit value spilled as u32 keeps its id: the bound found on the fill holds for r7
	r1 = 0
	*(u64 *)(r10 - 16) = r1
	call bpf_get_prandom_u32
	r6 = r0
	r6 >>= 32
	r7 = r6
	*(u32 *)(r10 - 8) = r6
	r8 = *(u32 *)(r10 - 8)
	if r8 > 7 goto out
	r1 = r10
	r1 += -16
	r1 += r7
	r0 = *(u8 *)(r1 + 0)
out:
	r0 = 0
	exit
"""
NARROW_SPILL_DROPS = """\
# SEC("syscall")
# a 33-bit value spilled as u32 loses its id: r7 stays unbounded
	r1 = 0
	*(u64 *)(r10 - 16) = r1
	call bpf_get_prandom_u32
	r6 = r0
	r6 >>= 31
	r7 = r6
	*(u32 *)(r10 - 8) = r6
	r8 = *(u32 *)(r10 - 8)
	if r8 > 7 goto out
	r1 = r10
	r1 += -16
	r1 += r7  # bug: r7 was not bounded by the check on r8
	r0 = *(u8 *)(r1 + 0)
out:
	r0 = 0
	exit
"""


def test_a_narrowing_spill_drops_the_scalar_id() -> None:
    got = verify(parse_program(NARROW_SPILL_DROPS, "narrowing.s"), btf="bundled")
    assert (got.verdict.value, got.error.errno, got.error.message) == (
        "reject", 13, "invalid unbounded variable-offset read from stack R1")


def test_a_narrow_spill_that_fits_keeps_the_scalar_id() -> None:
    assert verify(parse_program(NARROW_SPILL_OK, "narrow.s"), btf="bundled").accepted


@pytest.mark.kernel
@pytest.mark.skipif(not kernel_available()[0], reason=kernel_available()[1])
def test_the_live_kernel_keeps_the_scalar_id_through_a_narrow_spill() -> None:
    from kfunclab.kernel import kernel_verdict

    assert kernel_verdict(parse_program(NARROW_SPILL_OK, "narrow.s")).accepted
