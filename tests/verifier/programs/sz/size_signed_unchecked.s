# SEC("syscall")
# dst__sz = rand - 4 after an unsigned upper bound: can still be negative
	r1 = 0
	*(u64 *)(r10 - 16) = r1
	*(u64 *)(r10 - 8) = r1
	call bpf_get_prandom_u32
	r2 = r0
	if r2 > 16 goto out
	r2 += -4                       # bug: 0..3 turn into negative sizes
	r1 = r10
	r1 += -16
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str
out:
	r0 = 0
	exit
