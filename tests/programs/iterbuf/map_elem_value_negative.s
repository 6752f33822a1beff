# SEC("iter/bpf_map_elem")
# a buffer access must not start before the buffer
	r2 = *(u64 *)(r1 + 24)
	if r2 == 0 goto out
	r3 = *(u32 *)(r2 - 4)          # bug: before the value
out:
	r0 = 0
	exit
