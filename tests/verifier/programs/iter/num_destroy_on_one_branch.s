# SEC("syscall")
# the iterator is drained and destroyed only when the first value is non-zero
	r1 = r10
	r1 += -8
	r2 = 0
	r3 = 3
	call bpf_iter_num_new
	r1 = r10
	r1 += -8
	call bpf_iter_num_next
	if r0 == 0 goto out            # leak: the drained path skips the destroy
	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
out:
	r0 = 0
	exit
