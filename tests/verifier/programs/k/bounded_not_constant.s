# SEC("socket")
# btf_id__k bounded to {114, 115} by a mask and an add: a range is not a constant
	call bpf_get_prandom_u32
	r2 = r0
	r2 &= 1
	r2 += 114                      # bug: still two possible values
	r1 = 0
	call bpf_rdonly_cast
	r0 = 0
	exit
