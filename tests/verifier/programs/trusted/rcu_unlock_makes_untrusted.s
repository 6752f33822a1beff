# SEC("syscall")
# real_parent loaded inside the RCU section but used after bpf_rcu_read_unlock
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0
	call bpf_rcu_read_lock
	r7 = *(u64 *)(r6 + 1280)
	call bpf_rcu_read_unlock       # r7 turns from rcu_ptr_ into untrusted_ptr_
	r1 = r7                        # bug: the pointer outlived its RCU section
	call bpf_task_acquire
	if r0 == 0 goto drop
	r1 = r0
	call bpf_task_release
drop:
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
