# SEC("xdp")
# MAP: xsks xskmap key=u32 value=u32 max_entries=4
# struct bpf_xdp_sock has only queue_id (4 bytes)
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = xsks ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r0 = *(u32 *)(r0 + 4)          # bug: past queue_id
out:
	r0 = 2
	exit
