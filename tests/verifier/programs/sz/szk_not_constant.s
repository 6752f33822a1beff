# SEC("tc")
# buffer__szk from a masked random number: bounded, but not a known constant
	r6 = r1
	call bpf_get_prandom_u32
	r7 = r0
	r7 &= 15
	r1 = r6
	r2 = 0
	r3 = r10
	r3 += -16
	call bpf_dynptr_from_skb
	r1 = r10
	r1 += -16
	r2 = 0
	r3 = r10
	r3 += -32
	r4 = r7                        # bug: __szk needs a constant
	call bpf_dynptr_slice
	r0 = 0
	exit
