# SEC("tc")
# MAP: rb ringbuf key=u32 value=u32 max_entries=4096
# Reserve, write through the NULL-checked slice, submit: the whole life of a ringbuf dynptr.
	r1 = rb ll
	r2 = 8
	r3 = 0
	r4 = r10
	r4 += -16
	call bpf_ringbuf_reserve_dynptr
	r1 = r10
	r1 += -16
	r2 = 0
	r3 = 8
	call bpf_dynptr_data
	if r0 == 0 goto submit
	r1 = 42
	*(u64 *)(r0 + 0) = r1
submit:
	r1 = r10
	r1 += -16
	r2 = 0
	call bpf_ringbuf_submit_dynptr
	r0 = 0
	exit
