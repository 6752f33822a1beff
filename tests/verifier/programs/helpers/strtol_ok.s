# SEC("tc")
# bpf_strtol(buf, len, flags, &res): res is ARG_PTR_TO_FIXED_SIZE_MEM (8 bytes, written, aligned)
	r1 = 0x3132
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -8
	r2 = 8
	r3 = 0
	r4 = r10
	r4 += -16
	call bpf_strtol
	r0 = 0
	exit
