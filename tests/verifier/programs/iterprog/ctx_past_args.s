# SEC("iter/task")
# bpf_iter_task(meta, task) has two arguments
	r2 = *(u64 *)(r1 + 16)         # bug: a third slot
	r0 = 0
	exit
