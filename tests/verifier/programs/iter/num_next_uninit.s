# SEC("syscall")
# bpf_iter_num_next on a stack slot that never held an iterator
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -8
	call bpf_iter_num_next         # bug: no bpf_iter_num_new before
	r0 = 0
	exit
