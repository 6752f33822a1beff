# SEC("tc")
# MAP: m array key=u32 value=u64
# bpf_ringbuf_submit_dynptr wants a ring-buffer dynptr; a local one holds no reference.
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
	call bpf_ringbuf_submit_dynptr  # bug: a local dynptr is not a ring buffer's
out:
	r0 = 0
	exit
