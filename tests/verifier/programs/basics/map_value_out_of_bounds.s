# SEC("socket")
# MAP: counters array key=u32 value=u64 max_entries=4
# an 8-byte map value read at +8
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = counters ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r0 = *(u64 *)(r0 + 8)          # bug: past the 8-byte value
out:
	r0 = 0
	exit
