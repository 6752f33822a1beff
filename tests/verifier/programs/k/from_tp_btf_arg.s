# SEC("tp_btf/task_newtask")
# btf_id__k taken from the tracepoint's clone_flags argument
	r2 = *(u64 *)(r1 + 8)          # bug: clone_flags is a runtime value
	r1 = 0
	call bpf_rdonly_cast
	r0 = 0
	exit
