# SEC("syscall")
# a negative dst__sz
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -8
	r2 = -8                        # bug: negative size
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str
	r0 = 0
	exit
