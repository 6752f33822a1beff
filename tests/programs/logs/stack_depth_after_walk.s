# SEC("tc")
# every path is safe, then check_max_stack_depth() refuses the call chain (512 + 512 bytes):
# do_check_common() reset the level-1 log after the walk, so it holds the refusal alone
	r1 = 0
	*(u64 *)(r10 -512) = r1
	call f
	r0 = 0
	exit
f:
	r1 = 0
	*(u64 *)(r10 -512) = r1
	r0 = 0
	exit
