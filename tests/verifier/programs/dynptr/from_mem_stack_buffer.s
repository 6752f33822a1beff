# SEC("tc")
# bpf_dynptr_from_mem takes a map value as its data; a stack buffer is refused after the checks.
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -8  # bug: a stack buffer, not a map value
	r2 = 8
	r3 = 0
	r4 = r10
	r4 += -24
	call bpf_dynptr_from_mem
	r0 = 0
	exit
