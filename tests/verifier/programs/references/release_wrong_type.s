# SEC("syscall")
# a cgroup reference handed to bpf_task_release
	r1 = 1
	call bpf_cgroup_from_id
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release          # bug: wants a task_struct, gets a cgroup
out:
	r0 = 0
	exit
