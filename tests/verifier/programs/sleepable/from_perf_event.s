# SEC("perf_event")
# bpf_copy_from_user_str (KF_SLEEPABLE) from a perf_event program, which never sleeps
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -8
	r2 = 8
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str    # bug: the program is not sleepable
	r0 = 0
	exit
