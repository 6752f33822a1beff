# SEC("xdp")
# MAP: xsks xskmap key=u32 value=u32 max_entries=4
# on the not-equal branch r7 may still be NULL
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r9 = r10
	r9 += -4
	r1 = xsks ll
	r2 = r9
	call bpf_map_lookup_elem
	r6 = r0
	r1 = xsks ll
	r2 = r9
	call bpf_map_lookup_elem
	r7 = r0
	if r6 == 0 goto out
	if r6 == r7 goto out
	r0 = *(u32 *)(r7 + 0)          # bug: r7 maybe NULL
out:
	r0 = 2
	exit
