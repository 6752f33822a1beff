# SEC("xdp")
# MAP: xsks xskmap key=u32 value=u32 max_entries=4
# the lookup may fail: its result must be NULL-checked before the read
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = xsks ll
	call bpf_map_lookup_elem
	r0 = *(u32 *)(r0 + 0)          # bug: map_value_or_null
	r0 = 2
	exit
