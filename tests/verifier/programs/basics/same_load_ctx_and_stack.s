# SEC("socket")
# one load reached with a stack pointer on one path and the context on another: a context
# access is rewritten after verification, so save_aux_ptr_type() refuses the mix
	r6 = r10
	r6 += -8
	r3 = 0
	*(u64 *)(r10 - 16) = r3
	r2 = r10
	r2 += -16
	if r1 == 0 goto l0  # the context is not known non-NULL: both ways are explored
	*(u64 *)(r6 + 0) = r2
	goto l1
l0:
	*(u64 *)(r6 + 0) = r1
l1:
	r1 = *(u64 *)(r6 + 0)
	r0 = *(u32 *)(r1 + 0)  # bug: the stack first, the context next
	exit
