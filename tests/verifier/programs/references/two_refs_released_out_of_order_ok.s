# SEC("syscall")
# a task and a cgroup acquired, released in the order they were taken (no LIFO rule)
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0
	r1 = 1
	call bpf_cgroup_from_id
	if r0 == 0 goto drop_task
	r7 = r0
	r1 = r6
	call bpf_task_release
	r1 = r7
	call bpf_cgroup_release
	goto out
drop_task:
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
