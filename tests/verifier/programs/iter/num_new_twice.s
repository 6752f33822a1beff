# SEC("syscall")
# a second bpf_iter_num_new over an iterator that is still active
	r1 = r10
	r1 += -8
	r2 = 0
	r3 = 3
	call bpf_iter_num_new
	r1 = r10
	r1 += -8
	r2 = 0
	r3 = 3
	call bpf_iter_num_new          # bug: overwrites a live iterator
	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
	r0 = 0
	exit
