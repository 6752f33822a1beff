# SEC("socket")
# MAP: counters array key=u32 value=u64 max_entries=4
# an array lookup with a constant in-range key cannot fail, so the kernel skips the NULL check
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = counters ll
	call bpf_map_lookup_elem
	r0 = *(u64 *)(r0 + 0)          # fine: key 0 < max_entries, R0 is not maybe-NULL
	r0 = 0
	exit
