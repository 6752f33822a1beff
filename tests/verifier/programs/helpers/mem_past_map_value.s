# SEC("tc")
# MAP: vals array key=u32 value=u64 max_entries=1
# ARG_PTR_TO_MEM sized by the next argument: 16 bytes of an 8-byte map value
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = vals ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = r0
	r2 = 16                        # bug: the value has 8 bytes
	r3 = 0
	r4 = 0
	r5 = 0
	call bpf_csum_diff
out:
	r0 = 0
	exit
