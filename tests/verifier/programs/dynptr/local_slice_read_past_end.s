# SEC("tc")
# MAP: m array key=u32 value=u64
# bpf_dynptr_data(ptr, 0, 4) is 4 bytes of memory: an 8-byte read runs past it.
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r1 = m ll
	r2 = r10
	r2 += -4
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = r0
	r2 = 8
	r3 = 0
	r4 = r10
	r4 += -24
	call bpf_dynptr_from_mem
	r1 = r10
	r1 += -24
	r2 = 0
	r3 = 4
	call bpf_dynptr_data
	if r0 == 0 goto out
	r0 = *(u64 *)(r0 + 0)  # bug: reads 8 bytes of a 4-byte slice
out:
	r0 = 0
	exit
