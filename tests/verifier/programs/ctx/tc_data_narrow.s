# SEC("tc")
# __sk_buff->data is loaded as a whole u32
	r2 = *(u16 *)(r1 + 78)         # bug: half of data
	r0 = 0
	exit
