# SEC("syscall")
# the task iterator is created inside the RCU section but advanced after it ended
	call bpf_rcu_read_lock
	r1 = r10
	r1 += -24
	r2 = 0
	r3 = 0
	call bpf_iter_task_new
	call bpf_rcu_read_unlock
	r1 = r10
	r1 += -24
	call bpf_iter_task_next        # bug: the iterator's RCU protection is gone
	r1 = r10
	r1 += -24
	call bpf_iter_task_destroy
	r0 = 0
	exit
