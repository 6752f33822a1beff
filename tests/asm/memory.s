# SEC("socket")
# loads, stores and locked read-modify-write of every size the ISA has
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	*(u32 *)(r10 - 12) = r1
	*(u16 *)(r10 - 14) = r1
	*(u8 *)(r10 - 15) = r1
	*(u32 *)(r10 - 16) = w1
	*(u8 *)(r10 - 16) = w1
	r2 = *(u64 *)(r10 - 8)
	r2 = *(u32 *)(r10 - 12)
	r2 = *(u16 *)(r10 - 14)
	r2 = *(u8 *)(r10 - 15)
	w2 = *(u32 *)(r10 - 12)
	w2 = *(u16 *)(r10 - 14)
	w2 = *(u8 *)(r10 - 15)
	r3 = *(u64 *)(r1 + 32767)
	r3 = *(u64 *)(r1 - 32768)
	r1 = 1
	lock *(u64 *)(r10 - 8) += r1
	lock *(u64 *)(r10 - 8) |= r1
	lock *(u64 *)(r10 - 8) &= r1
	lock *(u64 *)(r10 - 8) ^= r1
	lock *(u32 *)(r10 - 12) += w1
	lock *(u32 *)(r10 - 12) |= w1
	lock *(u32 *)(r10 - 12) &= w1
	lock *(u32 *)(r10 - 12) ^= w1
	r0 = 0
	exit
