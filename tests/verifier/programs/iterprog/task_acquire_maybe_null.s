# SEC("iter/task")
# ctx->task is NULL at the end of the iteration; the kfunc wants a trusted, non-NULL task
	r1 = *(u64 *)(r1 + 8)          # bug: not NULL-checked
	call bpf_task_acquire
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
