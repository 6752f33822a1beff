# SEC("cgroup/sock_create")
# a sock_create program may set the socket's mark and read its family
	r2 = *(u32 *)(r1 + 4)          # family
	r2 = 5
	*(u32 *)(r1 + 16) = r2         # mark
	r0 = 1
	exit
