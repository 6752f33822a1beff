# SEC("iter/bpf_map_elem")
# a buffer access must be at a constant offset
	r2 = *(u64 *)(r1 + 16)
	if r2 == 0 goto out
	r3 = *(u32 *)(r2 + 0)
	r3 &= 4
	r2 += r3
	r3 = *(u8 *)(r2 + 0)           # bug: variable offset
out:
	r0 = 0
	exit
