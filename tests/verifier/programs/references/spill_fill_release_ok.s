# SEC("syscall")
# a task spilled across a helper call and released from the filled register
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	*(u64 *)(r10 - 8) = r0
	call bpf_get_prandom_u32
	r1 = *(u64 *)(r10 - 8)
	call bpf_task_release
out:
	r0 = 0
	exit
