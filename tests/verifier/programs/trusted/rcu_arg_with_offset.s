# SEC("tp_btf/task_newtask")
# an rcu pointer moved by 8 bytes before a KF_RCU kfunc
	r1 = *(u64 *)(r1 + 0)
	r1 = *(u64 *)(r1 + 1280)
	r1 += 8                        # bug: zero offset required
	call bpf_task_acquire
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
