# SEC("socket")
# bpf_iter_num_* are common kfuncs (BPF_PROG_TYPE_UNSPEC): a socket filter may use them
	r1 = r10
	r1 += -8
	r2 = 0
	r3 = 1
	call bpf_iter_num_new
	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
	r0 = 0
	exit
