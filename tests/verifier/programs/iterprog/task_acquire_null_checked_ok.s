# SEC("iter/task")
# ctx->task is PTR_TO_BTF_ID_OR_NULL | PTR_TRUSTED: once NULL-checked it is a trusted argument
	r1 = *(u64 *)(r1 + 8)
	if r1 == 0 goto out
	call bpf_task_acquire
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
