# SEC("netfilter")
# nf_is_valid_access(): the context is read only
	r2 = 0
	*(u64 *)(r1 + 8) = r2          # bug: a write
	r0 = 1
	exit
