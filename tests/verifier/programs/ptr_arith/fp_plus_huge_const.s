# SEC("syscall")
# check_reg_sane_offset() on the constant before it is added: a known value of 2^29 or more
# may not be added to a pointer at all ("math between ... and N"), whatever the result
	r1 = r10
	r2 = 0x7fffffff
	r1 += r2  # bug: 2147483647 >= BPF_MAX_VAR_OFF
	r0 = 0
	exit
