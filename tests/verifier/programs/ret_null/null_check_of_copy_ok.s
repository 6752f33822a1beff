# SEC("syscall")
# the copy r6 is NULL-checked; the check also refines the original in r0, which is released
	r1 = 1
	call bpf_task_from_pid
	r6 = r0
	if r6 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
