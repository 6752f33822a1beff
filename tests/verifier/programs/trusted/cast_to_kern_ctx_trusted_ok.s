# SEC("tc")
# bpf_cast_to_kern_ctx gives a trusted sk_buff; dynptr from the original ctx
	r6 = r1
	call bpf_cast_to_kern_ctx
	r7 = *(u32 *)(r0 + 112)        # sk_buff->len through the trusted kernel view
	r1 = r6
	r2 = 0
	r3 = r10
	r3 += -16
	call bpf_dynptr_from_skb
	r0 = 0
	exit
