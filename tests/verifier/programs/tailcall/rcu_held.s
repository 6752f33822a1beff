# SEC("tc")
# MAP: jt prog_array key=u32 value=u32 max_entries=1
# a tail call inside an RCU read section would never leave it
	r6 = r1
	call bpf_rcu_read_lock
	r1 = r6
	r2 = jt ll
	r3 = 0
	call bpf_tail_call             # bug: inside bpf_rcu_read_lock
	call bpf_rcu_read_unlock
	r0 = 0
	exit
