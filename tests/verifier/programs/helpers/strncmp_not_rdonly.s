# SEC("tc")
# MAP: strs array key=u32 value=u64 max_entries=1
# bpf_strncmp()'s third argument (ARG_PTR_TO_CONST_STR) must be in a frozen read-only map
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = strs ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r3 = r0                        # bug: a writable map value
	r1 = 0
	*(u64 *)(r10 - 16) = r1
	r1 = r10
	r1 += -16
	r2 = 8
	call bpf_strncmp
out:
	r0 = 0
	exit
