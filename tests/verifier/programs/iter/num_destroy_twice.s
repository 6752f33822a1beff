# SEC("syscall")
# bpf_iter_num_destroy called twice on the same slot
	r1 = r10
	r1 += -8
	r2 = 0
	r3 = 3
	call bpf_iter_num_new
	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy      # bug: already destroyed
	r0 = 0
	exit
