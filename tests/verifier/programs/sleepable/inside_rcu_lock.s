# SEC("syscall")
# a sleepable kfunc between bpf_rcu_read_lock and bpf_rcu_read_unlock
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	call bpf_rcu_read_lock
	r1 = r10
	r1 += -8
	r2 = 8
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str    # bug: may sleep inside an RCU read section
	call bpf_rcu_read_unlock
	r0 = 0
	exit
