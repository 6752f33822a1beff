# SEC("cgroup/setsockopt")
# retval belongs to getsockopt programs
	r2 = 0
	*(u32 *)(r1 + 36) = r2         # bug: retval in a setsockopt program
	r0 = 1
	exit
