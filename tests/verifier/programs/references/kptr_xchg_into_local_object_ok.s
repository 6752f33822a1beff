# SEC("syscall")
# TYPE: struct holder { long key; struct task_struct __kptr *task; }
# bpf_kptr_xchg's destination may be an object from bpf_obj_new (PTR_TO_BTF_ID | MEM_ALLOC)
# with a kptr field at the offset; the task reference moves into it, the old one comes back
	r1 = 1
	r2 = 0
	call bpf_obj_new_impl
	if r0 == 0 goto out
	r6 = r0
	r1 = 7
	call bpf_task_from_pid
	if r0 == 0 goto drop
	r2 = r0
	r1 = r6
	r1 += 8  # &holder->task
	call bpf_kptr_xchg
	if r0 == 0 goto drop
	r1 = r0
	call bpf_task_release
drop:
	r1 = r6
	r2 = 0
	call bpf_obj_drop_impl
out:
	r0 = 0
	exit
