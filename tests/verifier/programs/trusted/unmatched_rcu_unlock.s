# SEC("tp_btf/task_newtask")
# bpf_rcu_read_unlock on a path that never took the lock
	call bpf_get_prandom_u32
	if r0 > 5 goto unlock
	call bpf_rcu_read_lock
unlock:
	call bpf_rcu_read_unlock       # bug: unmatched when the branch was taken
	r0 = 0
	exit
