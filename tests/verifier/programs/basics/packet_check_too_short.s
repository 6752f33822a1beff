# SEC("xdp")
# data + 4 checked but 8 bytes read
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 4
	if r4 > r3 goto out
	r0 = *(u64 *)(r2 + 0)          # bug: only 4 bytes were proven
out:
	r0 = 2
	exit
