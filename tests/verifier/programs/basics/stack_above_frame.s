# SEC("socket")
# a read above the frame pointer
	r0 = *(u64 *)(r10 + 8)         # bug: nothing lives above fp
	r0 = 0
	exit
