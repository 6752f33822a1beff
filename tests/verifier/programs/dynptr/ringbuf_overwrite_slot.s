# SEC("tc")
# MAP: rb ringbuf key=u32 value=u32 max_entries=4096
# A store over a ring-buffer dynptr's slot would lose its reference: the kernel refuses it.
	r1 = rb ll
	r2 = 8
	r3 = 0
	r4 = r10
	r4 += -16
	call bpf_ringbuf_reserve_dynptr
	r1 = 0
	*(u32 *)(r10 - 8) = r1  # bug: overwrites the second slot of the dynptr at fp-16
	r1 = r10
	r1 += -16
	r2 = 0
	call bpf_ringbuf_discard_dynptr
	r0 = 0
	exit
