# SEC("syscall")
# dst at fp-8 but dst__sz 16: the last 8 bytes lie above the frame
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -8
	r2 = 16                        # bug: only 8 bytes between fp-8 and the frame top
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str
	r0 = 0
	exit
