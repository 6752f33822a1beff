# SEC("tc")
# MAP: counters array key=u32 value=u64 max_entries=4
# the for_each callback reads past its 8-byte map value
	r1 = counters ll
	r2 = cb ll
	r3 = 0
	r4 = 0
	call bpf_for_each_map_elem
	r0 = 0
	exit
cb:
	r0 = *(u64 *)(r3 +8)  # bug: past the value
	r0 = 0
	exit
