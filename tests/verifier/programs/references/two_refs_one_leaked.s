# SEC("syscall")
# a task and a cgroup acquired; only the task is released
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0
	r1 = 1
	call bpf_cgroup_from_id
	r7 = r0                        # leak: the cgroup reference (even if NULL-able) is dropped
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
