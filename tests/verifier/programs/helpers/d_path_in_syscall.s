# SEC("syscall")
# bpf_d_path_proto.allowed: iterators and allowlisted attach targets only
	r1 = 0
	r2 = r10
	r2 += -16
	r3 = 16
	call bpf_d_path                # bug: a syscall program has no attach target
	r0 = 0
	exit
