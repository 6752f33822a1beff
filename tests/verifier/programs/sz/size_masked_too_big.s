# SEC("syscall")
# dst__sz = rand & 31 (up to 31) with a 16-byte buffer
	r1 = 0
	*(u64 *)(r10 - 16) = r1
	*(u64 *)(r10 - 8) = r1
	call bpf_get_prandom_u32
	r2 = r0
	r2 &= 31                       # bug: the mask allows sizes past the buffer
	r1 = r10
	r1 += -16
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str
	r0 = 0
	exit
