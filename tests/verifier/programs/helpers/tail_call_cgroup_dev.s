# SEC("cgroup/dev")
# MAP: progs prog_array key=u32 value=u32 max_entries=2
# bpf_tail_call() is in bpf_base_func_proto(): a cgroup/dev program may tail call
	r2 = progs ll
	r3 = 0
	call bpf_tail_call
	r0 = 1
	exit
