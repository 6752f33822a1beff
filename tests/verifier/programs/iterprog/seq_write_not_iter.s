# SEC("tp_btf/task_newtask")
# bpf_seq_write exists only for BPF_TRACE_ITER programs (tracing_prog_func_proto())
	r1 = 0
	r2 = 7
	*(u64 *)(r10 - 8) = r2
	r2 = r10
	r2 += -8
	r3 = 8
	call bpf_seq_write             # bug: not an iterator
	r0 = 0
	exit
