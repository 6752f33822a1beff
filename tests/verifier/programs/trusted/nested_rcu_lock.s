# SEC("syscall")
# bpf_rcu_read_lock taken twice
	call bpf_rcu_read_lock
	call bpf_rcu_read_lock         # bug: nested
	call bpf_rcu_read_unlock
	call bpf_rcu_read_unlock
	r0 = 0
	exit
