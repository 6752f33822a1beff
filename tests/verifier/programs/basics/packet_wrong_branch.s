# SEC("xdp")
# the read happens on the side of the check where the packet is too short
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 4
	if r4 <= r3 goto out
	r0 = *(u32 *)(r2 + 0)          # bug: here data + 4 > data_end
out:
	r0 = 2
	exit
