# SEC("raw_tp")
# a helper's raw write into the iterator's slot scrubs the whole slot (STACK_ITER -> STACK_MISC)
	r1 = r10
	r1 += -8
	r2 = 0
	r3 = 1000
	call bpf_iter_num_new
	r1 = r10
	r1 += -1
	r2 = 1
	r3 = 0
	call bpf_probe_read_kernel     # bug: writes the last byte of the iterator
	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
	r0 = 0
	exit
