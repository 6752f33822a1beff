# SEC("cgroup/connect6")
# user_ip6 may be read and written as u64s, and user_port narrowly
	r2 = *(u64 *)(r1 + 8)
	*(u64 *)(r1 + 16) = r2
	r3 = *(u16 *)(r1 + 24)
	r0 = 1
	exit
