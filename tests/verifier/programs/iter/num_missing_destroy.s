# SEC("syscall")
# the iterator loop ends without bpf_iter_num_destroy
	r1 = r10
	r1 += -8
	r2 = 0
	r3 = 3
	call bpf_iter_num_new
loop:
	r1 = r10
	r1 += -8
	call bpf_iter_num_next
	if r0 != 0 goto loop
	r0 = 0
	exit                           # leak: the iterator (a reference) is still alive
