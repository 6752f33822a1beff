# SEC("tp_btf/task_newtask")
# task->last_wakee is not an RCU-safe field: walking it gives an untrusted pointer
	r1 = *(u64 *)(r1 + 0)
	r1 = *(u64 *)(r1 + 88)         # bug: last_wakee is untrusted_ptr_task_struct
	call bpf_task_acquire
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
