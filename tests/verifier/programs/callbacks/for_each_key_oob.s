# SEC("tc")
# MAP: seen hash key=u32 value=u64 max_entries=4
# the for_each callback reads past its 4-byte key
	r1 = seen ll
	r2 = cb ll
	r3 = 0
	r4 = 0
	call bpf_for_each_map_elem
	r0 = 0
	exit
cb:
	r6 = *(u32 *)(r2 +2)  # bug: past the 4-byte key
	r1 = seen ll
	call bpf_map_lookup_elem
	r0 = 0
	exit
