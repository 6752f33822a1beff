# SEC("syscall")
# a 24-byte destination at fp-24 with dst__sz 24
	r1 = 0
	*(u64 *)(r10 - 24) = r1
	*(u64 *)(r10 - 16) = r1
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -24
	r2 = 24
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str
	r0 = 0
	exit
