# SEC("syscall")
# a plain store over the iterator's stack slot
	r1 = r10
	r1 += -8
	r2 = 0
	r3 = 3
	call bpf_iter_num_new
	r1 = 0
	*(u64 *)(r10 - 8) = r1         # bug: clobbers the iterator
	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
	r0 = 0
	exit
