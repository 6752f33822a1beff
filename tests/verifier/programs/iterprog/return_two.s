# SEC("iter/task")
# an iterator returns 0 or 1 (check_return_code(): retval_range(0, 1))
	r0 = 2                         # bug: out of range
	exit
