# SEC("sk_lookup")
# the sk_lookup context is read only
	r2 = 0
	*(u32 *)(r1 + 60) = r2         # bug: local_port
	r0 = 1
	exit
