# SEC("socket")
# btf_id__k from a random number
	call bpf_get_prandom_u32
	r2 = r0                        # bug: __k needs a known constant
	r1 = 0
	call bpf_rdonly_cast
	r0 = 0
	exit
