# SEC("tc")
# MAP: rb ringbuf key=u32 value=u32 max_entries=4096
# A clone shares its parent's reference: discarding the clone destroys the parent too.
	r1 = rb ll
	r2 = 8
	r3 = 0
	r4 = r10
	r4 += -16
	call bpf_ringbuf_reserve_dynptr
	r1 = r10
	r1 += -16
	r2 = r10
	r2 += -32
	call bpf_dynptr_clone
	r1 = r10
	r1 += -32
	r2 = 0
	call bpf_ringbuf_discard_dynptr
	r1 = r10
	r1 += -16
	r2 = 0
	call bpf_ringbuf_submit_dynptr  # bug: use after release, the clone's discard released it
	r0 = 0
	exit
