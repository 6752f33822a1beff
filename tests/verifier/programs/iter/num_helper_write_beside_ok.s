# SEC("raw_tp")
# a helper's raw write into the slot next to the iterator leaves the iterator intact
	r1 = r10
	r1 += -16
	r2 = 0
	r3 = 1000
	call bpf_iter_num_new
	r1 = r10
	r1 += -1
	r2 = 1
	r3 = 0
	call bpf_probe_read_kernel
	r1 = r10
	r1 += -16
	call bpf_iter_num_destroy
	r0 = 0
	exit
