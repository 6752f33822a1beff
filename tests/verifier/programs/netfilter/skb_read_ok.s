# SEC("netfilter")
# struct bpf_nf_ctx: skb (at 8) is a trusted struct sk_buff pointer (nf_ptr_to_btf_id())
	r2 = *(u64 *)(r1 + 8)
	r0 = *(u64 *)(r2 + 0)
	r0 = 1
	exit
