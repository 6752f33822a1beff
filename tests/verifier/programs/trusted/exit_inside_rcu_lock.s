# SEC("syscall")
# the program returns while still holding the RCU read lock on one path
	call bpf_rcu_read_lock
	call bpf_get_prandom_u32
	if r0 > 5 goto out             # bug: skips the unlock
	call bpf_rcu_read_unlock
out:
	r0 = 0
	exit
