# SEC("cgroup/post_bind4")
# mark, priority and bound_dev_if belong to sock_create and sock_release only
	r2 = *(u32 *)(r1 + 16)         # bug: mark in a post_bind4 program
	r0 = 1
	exit
