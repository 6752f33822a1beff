# SEC("netfilter")
# nf_is_valid_access(): the pointers are read whole
	r2 = *(u32 *)(r1 + 8)          # bug: half of skb
	r0 = 1
	exit
