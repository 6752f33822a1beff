# SEC("syscall")
# an acquired task moved 16 bytes in before a KF_TRUSTED_ARGS call (the type match at +16 fails first)
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0
	r1 = r0
	r1 += 16                       # bug: trusted args must be unmodified pointers
	r2 = 0
	r3 = 0
	r4 = 0
	call bpf_send_signal_task
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
