# SEC("xdp")
# bpf_tcp_raw_check_syncookie_ipv4(iph, th): fixed-size memory, sizeof(struct iphdr) = 20 bytes
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	*(u64 *)(r10 - 16) = r1
	*(u64 *)(r10 - 24) = r1
	*(u64 *)(r10 - 32) = r1
	*(u64 *)(r10 - 40) = r1
	r1 = r10
	r1 += -16                      # bug: 16 bytes left for a 20-byte iphdr
	r2 = r10
	r2 += -40
	call bpf_tcp_raw_check_syncookie_ipv4
	r0 = 2
	exit
