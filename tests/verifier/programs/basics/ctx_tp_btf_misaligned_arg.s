# SEC("tp_btf/task_newtask")
# a 4-byte read in the middle of the task pointer argument
	r2 = *(u32 *)(r1 + 4)          # bug: tracing args are read whole
	r0 = 0
	exit
