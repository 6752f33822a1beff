# SEC("tc")
# buffer__szk 16 with the buffer at fp-8: the constant size runs past the frame
	r2 = 0
	r3 = r10
	r3 += -24
	call bpf_dynptr_from_skb
	r1 = r10
	r1 += -24
	r2 = 0
	r3 = r10
	r3 += -8
	r4 = 16                        # bug: 16 bytes do not fit at fp-8
	call bpf_dynptr_slice
	r0 = 0
	exit
