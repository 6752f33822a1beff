# SEC("syscall")
# the same walk inside bpf_rcu_read_lock: real_parent is an rcu pointer and can be acquired
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0
	call bpf_rcu_read_lock
	r1 = *(u64 *)(r6 + 1280)
	call bpf_task_acquire
	r7 = r0                        # kfunc calls clobber r0-r5: keep the result in r7
	call bpf_rcu_read_unlock
	if r7 == 0 goto drop
	r1 = r7
	call bpf_task_release
drop:
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
