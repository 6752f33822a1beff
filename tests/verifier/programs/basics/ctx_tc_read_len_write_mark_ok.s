# SEC("tc")
# a tc program reads __sk_buff->len and may write __sk_buff->mark
	r2 = *(u32 *)(r1 + 0)
	*(u32 *)(r1 + 8) = r2
	r0 = 0
	exit
