# SEC("tp_btf/sys_enter")
# bpf_seq_write() belongs to iterator programs (expected_attach_type == BPF_TRACE_ITER)
	r1 = 0
	r2 = r10
	r2 += -8
	r3 = 8
	call bpf_seq_write             # bug: not an iterator
	r0 = 0
	exit
