# SEC("iter/task")
# a pointer argument is read whole (btf_ctx_access(): size must be 8)
	r2 = *(u32 *)(r1 + 8)          # bug: narrow load of ctx->task
	r0 = 0
	exit
