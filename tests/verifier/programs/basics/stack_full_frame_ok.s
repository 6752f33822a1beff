# SEC("socket")
# the lowest and highest stack slots written and read back
	r1 = 1
	*(u64 *)(r10 - 512) = r1
	*(u64 *)(r10 - 8) = r1
	r0 = *(u64 *)(r10 - 512)
	r1 = *(u64 *)(r10 - 8)
	r0 += r1
	exit
