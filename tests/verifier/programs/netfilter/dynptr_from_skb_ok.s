# SEC("netfilter")
# bpf_dynptr_from_skb() on the skb of the netfilter context, then a slice of it
	r1 = *(u64 *)(r1 + 8)
	r2 = 0
	r3 = r10
	r3 += -16
	call bpf_dynptr_from_skb
	r1 = r10
	r1 += -16
	r2 = 0
	r3 = r10
	r3 += -32
	r4 = 16
	call bpf_dynptr_slice
	if r0 == 0 goto out
	r0 = *(u32 *)(r0 + 12)
out:
	r0 = 1
	exit
