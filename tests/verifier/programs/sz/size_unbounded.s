# SEC("syscall")
# dst__sz straight from bpf_get_prandom_u32: no upper bound
	r1 = 0
	*(u64 *)(r10 - 16) = r1
	*(u64 *)(r10 - 8) = r1
	call bpf_get_prandom_u32
	r2 = r0                        # bug: unbounded size
	r1 = r10
	r1 += -16
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str
	r0 = 0
	exit
