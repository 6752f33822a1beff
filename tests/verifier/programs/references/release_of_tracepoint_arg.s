# SEC("tp_btf/task_newtask")
# the tracepoint's task argument is trusted but was never acquired, so it cannot be released
	r1 = *(u64 *)(r1 + 0)
	call bpf_task_release          # bug: not a reference this program holds
	r0 = 0
	exit
