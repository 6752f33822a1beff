# SEC("socket")
# an 8-byte store at fp-7
	r1 = 0
	*(u64 *)(r10 - 7) = r1         # bug: not 8-byte aligned
	r0 = 0
	exit
