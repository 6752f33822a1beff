# SEC("tp_btf/task_newtask")
# task->real_parent in a non-sleepable program is an RCU pointer even without rcu_read_lock
	r1 = *(u64 *)(r1 + 0)
	r1 = *(u64 *)(r1 + 1280)       # real_parent: rcu_ptr_task_struct
	call bpf_task_acquire
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
