# SEC("xdp")
# find_good_pkt_pointers() widens the range of every packet pointer with the same id, the
# spilled ones too: the copy of data saved on the stack before the check may be read after it
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	*(u64 *)(r10 - 8) = r2
	r4 = r2
	r4 += 8
	if r4 > r3 goto out
	r5 = *(u64 *)(r10 - 8)
	r0 = *(u32 *)(r5 + 4)          # ok: the spill has r=8 too
out:
	r0 = 2
	exit
