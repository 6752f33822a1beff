# SEC("tp_btf/task_newtask")
# the tracepoint's task argument is trusted, so bpf_task_acquire takes it
	r1 = *(u64 *)(r1 + 0)
	call bpf_task_acquire
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
