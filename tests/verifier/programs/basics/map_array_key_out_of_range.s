# SEC("socket")
# MAP: counters array key=u32 value=u64 max_entries=4
# a constant key past max_entries: the lookup may fail and the result must be checked
	r1 = 9
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = counters ll
	call bpf_map_lookup_elem
	r0 = *(u64 *)(r0 + 0)          # bug: key 9 >= max_entries 4, R0 may be NULL
	r0 = 0
	exit
