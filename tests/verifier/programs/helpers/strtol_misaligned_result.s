# SEC("tc")
# bpf_strtol()'s result pointer is MEM_ALIGNED: an 8-byte result at fp-12 is refused
	r1 = 0x3132
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -8
	r2 = 8
	r3 = 0
	r4 = r10
	r4 += -20                      # bug: not 8-byte aligned
	call bpf_strtol
	r0 = 0
	exit
