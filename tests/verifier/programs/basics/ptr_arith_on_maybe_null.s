# SEC("syscall")
# pointer arithmetic on bpf_task_from_pid's result before the NULL check
	r1 = 1
	call bpf_task_from_pid
	r0 += 8                        # bug: r0 may still be NULL
	r0 = 0
	exit
