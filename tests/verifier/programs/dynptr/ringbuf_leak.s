# SEC("tc")
# MAP: rb ringbuf key=u32 value=u32 max_entries=4096
# A ring-buffer dynptr holds a reference even when the reservation fails: leaving
# without bpf_ringbuf_submit_dynptr/discard_dynptr leaks it.
	r1 = rb ll
	r2 = 8
	r3 = 0
	r4 = r10
	r4 += -16
	call bpf_ringbuf_reserve_dynptr
	r0 = 0
	exit  # leak: the dynptr at fp-16 is never submitted or discarded
