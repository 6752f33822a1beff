# SEC("syscall")
# bpf_iter_task_new is KF_RCU_PROTECTED: a sleepable program must hold bpf_rcu_read_lock
	r1 = r10
	r1 += -24
	r2 = 0
	r3 = 0
	call bpf_iter_task_new         # bug: no RCU critical section in a sleepable program
	r1 = r10
	r1 += -24
	call bpf_iter_task_destroy
	r0 = 0
	exit
