# SEC("kprobe/do_nanosleep")
# ARG_CONST_SIZE does not take 0 (ARG_CONST_SIZE_OR_ZERO would)
	r1 = 0
	r2 = 0
	r3 = r10
	r3 += -8
	r4 = 0                         # bug: a zero size
	call bpf_get_ns_current_pid_tgid
	r0 = 0
	exit
