# SEC("iter/bpf_map_elem")
# ctx->value is PTR_TO_BUF | PTR_MAYBE_NULL: loading through it needs a NULL check
	r2 = *(u64 *)(r1 + 24)
	r0 = *(u32 *)(r2 + 0)          # bug: NULL not excluded
	r0 = 0
	exit
