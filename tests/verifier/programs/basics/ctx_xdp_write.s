# SEC("xdp")
# xdp_md fields are read only
	r2 = 0
	*(u32 *)(r1 + 12) = r2         # bug: ingress_ifindex cannot be written
	r0 = 2
	exit
