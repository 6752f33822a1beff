"""The notebooks' exercises as data: each one's starter (what the notebook cell holds) and a
right answer. The checks are in :mod:`kfunclab.exercises.checks`.

>>> EXERCISES["welcome"].notebook
'01-welcome'
"""

from __future__ import annotations

from kfunclab.exercises.feedback import Exercise

_WELCOME_STARTER = """# SEC("syscall")
	r1 = 1                     # pid 1
	call bpf_task_from_pid     # r0 = the task, or NULL
	if r0 == 0 goto out
	r6 = r0                    # keep the task ...
out:
	r0 = 0
	exit
"""
_WELCOME_SOLUTION = """# SEC("syscall")
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
"""
_SZ_DECL_STARTER = "void bpf_fill(void *buf, u32 len, u8 byte)"
_SZ_DECL_SOLUTION = "void bpf_fill(void *buf, u32 buf__sz, u8 byte)"
_SIZE_STARTER = """# SEC("syscall")
	call bpf_get_prandom_u32
	r2 = r0
	r2 &= 31                   # 0 .. 31
	r2 += 1                    # dst__sz: 1 .. 32
	r1 = r10
	r1 += -16                  # dst: 16 bytes at fp-16
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str
	r0 = 0
	exit
"""
_SIZE_SOLUTION = _SIZE_STARTER.replace("r2 &= 31                   # 0 .. 31",
                                       "r2 &= 15                   # 0 .. 15")
_CONST_STARTER = """# SEC("tp_btf/task_newtask")
	r6 = *(u64 *)(r1 + 0)      # the new task
	call bpf_get_prandom_u32
	r2 = r0                    # btf_id__k: which type to view the task as
	r1 = r6
	call bpf_rdonly_cast
	r0 = 0
	exit
"""
_CONST_SOLUTION = _CONST_STARTER.replace(
    "r2 = r0                    # btf_id__k",
    "r2 = bpf_core_type_id_kernel(struct task_struct)  # btf_id__k")
_LEAK_STARTER = """# SEC("syscall")
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0                    # the task reference
	call bpf_get_prandom_u32
	if r0 > 100 goto out       # early exit
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
"""
_LEAK_SOLUTION = """# SEC("syscall")
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0
	call bpf_get_prandom_u32
	r1 = r6
	call bpf_task_release      # released before the branch: both paths are clean
	r0 = 0
	exit
out:
	r0 = 0
	exit
"""
_NULL_STARTER = """# SEC("syscall")
	r1 = 1
	call bpf_task_from_pid
	r6 = r0
	call bpf_get_prandom_u32
	if r0 > 7 goto check
	goto use                   # this path skips the NULL check
check:
	if r6 == 0 goto out
use:
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
"""
_NULL_SOLUTION = _NULL_STARTER.replace("\tgoto use                   # this path skips the NULL "
                                       "check\n", "\tgoto check\n")
_RCU_STARTER = """# SEC("syscall")
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0
	r1 = *(u64 *)(r6 + 1280)   # task->real_parent
	call bpf_task_acquire
	if r0 == 0 goto rel
	r1 = r0
	call bpf_task_release
rel:
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
"""
_RCU_SOLUTION = """# SEC("syscall")
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0
	call bpf_rcu_read_lock
	r1 = *(u64 *)(r6 + 1280)   # task->real_parent, inside the RCU section
	call bpf_task_acquire
	r7 = r0
	call bpf_rcu_read_unlock
	if r7 == 0 goto rel
	r1 = r7
	call bpf_task_release
rel:
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
"""
_KPTR_STARTER = """# SEC("tp_btf/task_newtask")
# MAP: slots array key=u32 value="struct slot { struct task_struct __kptr *task; }"
	r6 = *(u64 *)(r1 + 0)      # the new task
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = slots ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r7 = r0                    # the map value
	r1 = r6
	call bpf_task_acquire
	if r0 == 0 goto out
	r1 = r7
	r2 = r0
	call bpf_kptr_xchg         # r0 = the task that was in the slot
out:
	r0 = 0
	exit
"""
_KPTR_SOLUTION = _KPTR_STARTER.replace(
    "\tcall bpf_kptr_xchg         # r0 = the task that was in the slot\n",
    "\tcall bpf_kptr_xchg         # r0 = the task that was in the slot\n"
    "\tif r0 == 0 goto out\n\tr1 = r0\n\tcall bpf_task_release\n")
_SLEEP_STARTER = """# SEC("syscall")
	call bpf_rcu_read_lock
	r1 = r10
	r1 += -16
	r2 = 16
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str  # may sleep
	call bpf_rcu_read_unlock
	r0 = 0
	exit
"""
_SLEEP_SOLUTION = """# SEC("syscall")
	call bpf_rcu_read_lock
	call bpf_rcu_read_unlock
	r1 = r10
	r1 += -16
	r2 = 16
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str
	r0 = 0
	exit
"""
_REG_STARTER = """__bpf_kfunc u64 bpf_lab_counter(u32 slot)
{
	return this_cpu_read(lab_counters[slot & 7]);
}

BTF_SET8_START(lab_ids)
BTF_ID_FLAGS(func, bpf_lab_counter)
BTF_SET8_END(lab_ids)

static const struct btf_kfunc_id_set lab_set = {
	.owner = THIS_MODULE,
	.set   = &lab_ids,
};

static int __init lab_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &lab_set);
}
late_initcall(lab_init);
"""
_REG_SOLUTION = (_REG_STARTER.replace("SET8_START", "KFUNCS_START")
                 .replace("SET8_END", "KFUNCS_END")
                 .replace("\treturn register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &lab_set);",
                          "\treturn register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &lab_set) ?:"
                          "\n\t       register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &lab_set);"))
_PRUNE_STARTER = """# SEC("tp_btf/task_newtask")
	r6 = *(u64 *)(r1 + 0)      # the new task
	r8 = *(u32 *)(r6 + 1264)   # task->pid
	r9 = *(u32 *)(r6 + 1268)   # task->tgid
	call bpf_get_prandom_u32
	if r0 > 3000 goto small
	r7 = bpf_core_type_id_kernel(struct task_struct)
	goto join
small:
	r7 = bpf_core_type_id_kernel(struct list_head)    # 16 bytes
join:
	r1 = r6
	r2 = r7                    # btf_id__k
	call bpf_rdonly_cast
	r0 = *(u32 *)(r0 + 1264)   # ->pid: beyond the end of a list_head
	r0 = 0
	exit
"""
_PRUNE_SOLUTION = _PRUNE_STARTER.replace(
    "\tr0 = *(u32 *)(r0 + 1264)   # ->pid: beyond the end of a list_head",
    "\tr0 = *(u64 *)(r0 + 8)      # inside both structs")
_PORTABLE_STARTER = """# SEC("tp_btf/task_newtask")
	r1 = *(u64 *)(r1 + 0)      # the new task (trusted)
	r1 = *(u64 *)(r1 + 2376)   # task->cgroups (RCU)
	r1 = *(u64 *)(r1 + 112)    # ->dfl_cgrp (RCU)
	r2 = 0                     # cpu 0
	call css_rstat_updated
	r0 = 0
	exit
"""
_PORTABLE_SOLUTION = """# SEC("tp_btf/task_newtask")
	r1 = *(u64 *)(r1 + 0)
	r1 = *(u64 *)(r1 + 2376)
	r1 = *(u64 *)(r1 + 112)
	call bpf_cgroup_acquire    # KF_RCU: an RCU pointer in, a reference out
	if r0 == 0 goto out
	r6 = r0
	r1 = r0
	r2 = 0
	call css_rstat_updated     # a referenced pointer is trusted in every kernel
	r1 = r6
	call bpf_cgroup_release
out:
	r0 = 0
	exit
"""

#: name -> (check, exercise); the notebooks' exercise cells hold the starters verbatim.
EXERCISES: dict[str, Exercise] = {e.name: e for e in (
    Exercise("welcome", "01-welcome", "give the task reference back", _WELCOME_STARTER,
             _WELCOME_SOLUTION),
    Exercise("sz_declaration", "02-defining-kfuncs", "let the verifier know the buffer size",
             _SZ_DECL_STARTER, _SZ_DECL_SOLUTION),
    Exercise("size_fixed", "03-sz-and-k", "keep every size inside the buffer", _SIZE_STARTER,
             _SIZE_SOLUTION),
    Exercise("constant_fixed", "03-sz-and-k", "make btf_id__k a constant", _CONST_STARTER,
             _CONST_SOLUTION),
    Exercise("leak_fixed", "04-acquire-release", "release the task on every path",
             _LEAK_STARTER, _LEAK_SOLUTION),
    Exercise("null_checked", "05-ret-null", "NULL-check on every path", _NULL_STARTER,
             _NULL_SOLUTION),
    Exercise("rcu_fixed", "06-trusted-args-and-rcu", "use real_parent inside an RCU section",
             _RCU_STARTER, _RCU_SOLUTION),
    Exercise("kptr_swap", "07-kptrs", "release the task that comes out of the map",
             _KPTR_STARTER, _KPTR_SOLUTION),
    Exercise("sleepable_fixed", "08-sleepable-and-destructive", "do not sleep under RCU",
             _SLEEP_STARTER, _SLEEP_SOLUTION),
    Exercise("registration", "09-registration", "register the set the 6.18 way, for XDP too",
             _REG_STARTER, _REG_SOLUTION),
    Exercise("prune_safe", "10-pruning-and-precision", "safe on every path, pruned or not",
             _PRUNE_STARTER, _PRUNE_SOLUTION),
    Exercise("portable", "11-kernels-differ", "one program for 6.18 and 7.0",
             _PORTABLE_STARTER, _PORTABLE_SOLUTION),
)}
