# SEC("xdp")
# data + 4 compared with data_end before the 4-byte read
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 4
	if r4 > r3 goto out
	r0 = *(u32 *)(r2 + 0)
out:
	r0 = 2
	exit
