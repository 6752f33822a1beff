# SEC("syscall")
# the same sleepable call once the RCU read section has ended
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	call bpf_rcu_read_lock
	call bpf_rcu_read_unlock
	r1 = r10
	r1 += -8
	r2 = 8
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str
	r0 = 0
	exit
