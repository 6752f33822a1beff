# SEC("iter/task")
# the context is read only
	r2 = 0
	*(u64 *)(r1 + 8) = r2          # bug: write into ctx
	r0 = 0
	exit
