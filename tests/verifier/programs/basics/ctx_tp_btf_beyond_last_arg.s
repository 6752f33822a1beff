# SEC("tp_btf/task_newtask")
# task_newtask has two arguments (task, clone_flags); the ctx slot at +16 is a third
	r2 = *(u64 *)(r1 + 16)         # bug: no third argument
	r0 = 0
	exit
