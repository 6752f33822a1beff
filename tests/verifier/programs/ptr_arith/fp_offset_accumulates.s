# SEC("syscall")
# each constant is below 2^29, but pointer += K accumulates into the fixed offset, and
# check_reg_sane_offset() on the result refuses an offset of 2^29 or more
	r1 = r10
	r2 = 0x1fffffff
	r1 += r2
	r1 += r2  # bug: fp offset 1073741822
	r0 = 0
	exit
