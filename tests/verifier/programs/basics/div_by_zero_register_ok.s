# SEC("socket")
# division by a register that may be zero is defined (the result is 0)
	call bpf_get_prandom_u32
	r1 = r0
	r0 = 8
	r0 /= r1
	exit
