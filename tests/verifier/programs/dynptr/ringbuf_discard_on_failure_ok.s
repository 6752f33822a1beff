# SEC("tc")
# MAP: rb ringbuf key=u32 value=u32 max_entries=4096
# The reservation failed (R0 != 0), and the dynptr is still discarded: every path releases it.
	r1 = rb ll
	r2 = 8
	r3 = 0
	r4 = r10
	r4 += -16
	call bpf_ringbuf_reserve_dynptr
	r1 = r10
	r1 += -16
	r2 = 0
	if r0 != 0 goto fail
	call bpf_ringbuf_submit_dynptr
	r0 = 0
	exit
fail:
	call bpf_ringbuf_discard_dynptr
	r0 = 0
	exit
