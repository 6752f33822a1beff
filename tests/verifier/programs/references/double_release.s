# SEC("syscall")
# a task released, then released again through the copy kept in r6
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0
	r1 = r0
	call bpf_task_release
	r1 = r6                        # double release: r6 was invalidated by the first release
	call bpf_task_release
out:
	r0 = 0
	exit
