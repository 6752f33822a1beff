# SEC("cgroup/getsockopt")
# optval .. optval_end is a packet-like buffer, checked before use; retval writable here
	r2 = *(u64 *)(r1 + 8)
	r3 = *(u64 *)(r1 + 16)
	r4 = r2
	r4 += 4
	if r4 > r3 goto out
	r5 = *(u32 *)(r2 + 0)
	*(u32 *)(r2 + 0) = r5
	r5 = 0
	*(u32 *)(r1 + 36) = r5
out:
	r0 = 1
	exit
