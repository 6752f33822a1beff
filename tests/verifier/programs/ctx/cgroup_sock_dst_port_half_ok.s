# SEC("cgroup/post_bind4")
# bpf_sock->dst_port is a __be16 that a u16 or a u32 load reads
	r2 = *(u16 *)(r1 + 48)
	r3 = *(u32 *)(r1 + 48)
	r4 = *(u32 *)(r1 + 24)         # src_ip4 is for post_bind4
	r0 = 1
	exit
