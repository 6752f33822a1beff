# SEC("tp_btf/task_newtask")
# the constant NULL passed where bpf_task_acquire wants a task
	r1 = 0                         # bug: NULL to a KF_RCU argument
	call bpf_task_acquire
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
