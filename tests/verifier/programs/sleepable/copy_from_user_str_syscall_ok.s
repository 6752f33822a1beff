# SEC("syscall")
# a sleepable kfunc from a sleepable (syscall) program
	r1 = 0
	*(u64 *)(r10 - 16) = r1
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -16
	r2 = 16
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str
	r0 = 0
	exit
