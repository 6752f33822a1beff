# SEC("tp_btf/task_newtask")
# an rcu pointer handed to a release kfunc (KF_RELEASE implies trusted arguments)
	r1 = *(u64 *)(r1 + 0)
	r1 = *(u64 *)(r1 + 1280)
	call bpf_task_release          # bug: real_parent is neither referenced nor trusted
	r0 = 0
	exit
