# SEC("cgroup/connect4")
# a connect4 program sees user_ip4, not user_ip6
	r2 = *(u32 *)(r1 + 8)          # bug: user_ip6[0] in an IPv4 hook
	r0 = 1
	exit
