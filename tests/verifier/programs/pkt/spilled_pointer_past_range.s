# SEC("xdp")
# the spilled copy of data gets the proven range (r=8) and no more: a 4-byte read at +6 from
# it runs past the 8 bytes the check proved
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	*(u64 *)(r10 - 8) = r2
	r4 = r2
	r4 += 8
	if r4 > r3 goto out
	r5 = *(u64 *)(r10 - 8)
	r0 = *(u32 *)(r5 + 6)          # bug: bytes 8 and 9 are not proven
out:
	r0 = 2
	exit
