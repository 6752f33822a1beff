# SEC("tc")
# MAP: rb ringbuf key=u32 value=u32 max_entries=4096
# bpf_dynptr_read's destination may not overlap a dynptr (here: the one it reads from).
	r1 = rb ll
	r2 = 8
	r3 = 0
	r4 = r10
	r4 += -16
	call bpf_ringbuf_reserve_dynptr
	r1 = r10
	r1 += -16  # bug: the destination is the dynptr itself
	r2 = 8
	r3 = r10
	r3 += -16
	r4 = 0
	r5 = 0
	call bpf_dynptr_read
	r1 = r10
	r1 += -16
	r2 = 0
	call bpf_ringbuf_discard_dynptr
	r0 = 0
	exit
