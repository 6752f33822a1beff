# SEC("iter/task_file")
# task_file's ctx_arg_info marks task PTR_TO_BTF_ID_OR_NULL without PTR_TRUSTED
	r1 = *(u64 *)(r1 + 8)
	if r1 == 0 goto out
	call bpf_task_acquire          # bug: not a trusted argument
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
