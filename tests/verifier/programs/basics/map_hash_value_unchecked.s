# SEC("socket")
# MAP: seen hash key=u32 value=u64 max_entries=4
# a hash map value read without checking the lookup for NULL
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = seen ll
	call bpf_map_lookup_elem
	r0 = *(u64 *)(r0 + 0)          # bug: a hash lookup may return NULL
	r0 = 0
	exit
