# SEC("syscall")
# in a sleepable program, real_parent walked outside bpf_rcu_read_lock is untrusted
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0
	r1 = *(u64 *)(r6 + 1280)       # bug: no RCU read section, so not an rcu pointer
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
