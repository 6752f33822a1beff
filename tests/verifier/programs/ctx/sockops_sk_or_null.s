# SEC("sockops")
# bpf_sock_ops->sk may be NULL: it must be checked before use
	r2 = *(u64 *)(r1 + 184)
	r3 = *(u32 *)(r2 + 4)          # bug: sk is sock_or_null here
	r0 = 1
	exit
