# SEC("tc")
# MAP: rb ringbuf key=u32 value=u32 max_entries=4096
# bpf_dynptr_data's slice carries the dynptr's reference: submitting the dynptr kills it.
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
	r6 = r0
	r1 = r10
	r1 += -16
	r2 = 0
	call bpf_ringbuf_submit_dynptr
	if r6 == 0 goto out
	r1 = 1
	*(u64 *)(r6 + 0) = r1  # use after release: the slice died with the dynptr
out:
	r0 = 0
	exit
