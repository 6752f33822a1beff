# SEC("xdp")
# MAP: xsks xskmap key=u32 value=u32 max_entries=4
# queue_id is read whole: bpf_xdp_sock_is_valid_access() allows only 4-byte loads
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = xsks ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r0 = *(u16 *)(r0 + 0)          # bug: narrow load
out:
	r0 = 2
	exit
