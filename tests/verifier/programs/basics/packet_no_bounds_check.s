# SEC("xdp")
# the first 4 packet bytes read without comparing against data_end
	r2 = *(u32 *)(r1 + 0)
	r0 = *(u32 *)(r2 + 0)          # bug: no data_end check
	r0 = 2
	exit
