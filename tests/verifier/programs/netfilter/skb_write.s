# SEC("netfilter")
# netfilter programs have no btf_struct_access hook: kernel structs are read only
	r2 = *(u64 *)(r1 + 8)
	r3 = 0
	*(u64 *)(r2 + 0) = r3          # bug: a write into sk_buff
	r0 = 1
	exit
