# SEC("socket")
# instructions llvm-mc 14 does not know (LLVM >= 18 with -mcpu=v4, or the kernel log's forms)
	r1 = 7
	r2 = 3
	r1 %= r2
	r1 %= 5
	w1 %= w2
	w1 %= 5
	r1 s/= r2
	r1 s/= -3
	r1 s%= r2
	r1 s%= 3
	w1 s/= w2
	w1 s%= 3
	r1 = (s8)r2
	r1 = (s16)r2
	r1 = (s32)r2
	w1 = (s8)w2
	w1 = (s16)w2
	r1 = bswap16 r1
	r1 = bswap32 r1
	r1 = bswap64 r1
	*(u64 *)(r10 - 8) = 5
	*(u32 *)(r10 - 12) = -1
	*(u16 *)(r10 - 14) = 0x7fff
	*(u8 *)(r10 - 15) = 1
	r3 = *(s8 *)(r10 - 15)
	r3 = *(s16 *)(r10 - 14)
	r3 = *(s32 *)(r10 - 12)
	if r1 & r2 goto +0
	if r1 & 0x1 goto +0
	if w1 & w2 goto +0
	if w1 & 0x1 goto +0
	r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)
	r1 = atomic_fetch_or((u64 *)(r10 - 8), r1)
	r1 = atomic_fetch_and((u64 *)(r10 - 8), r1)
	r1 = atomic_fetch_xor((u64 *)(r10 - 8), r1)
	w1 = atomic_fetch_add((u32 *)(r10 - 12), w1)
	w1 = atomic_fetch_or((u32 *)(r10 - 12), w1)
	w1 = atomic_fetch_and((u32 *)(r10 - 12), w1)
	w1 = atomic_fetch_xor((u32 *)(r10 - 12), w1)
	r1 = xchg_64(r10 - 8, r1)
	w1 = xchg32_32(r10 - 12, w1)
	r0 = cmpxchg_64(r10 - 8, r0, r1)
	w0 = cmpxchg32_32(r10 - 12, w0, w1)
	gotol +0
	if r1 > 100 goto +1
	gotol +1
	gotol -3
	gotol out
out:
	r0 = 0
	exit
