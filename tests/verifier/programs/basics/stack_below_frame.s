# SEC("socket")
# a store 520 bytes below the frame pointer (the stack is 512 bytes)
	r1 = 0
	*(u64 *)(r10 - 520) = r1       # bug: outside the 512-byte stack
	r0 = 0
	exit
