# SEC("socket")
# a socket filter may not write __sk_buff->mark
	r2 = 7
	*(u32 *)(r1 + 8) = r2          # bug: mark is read only for socket filters
	r0 = 0
	exit
