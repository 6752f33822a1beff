# SEC("iter/bpf_map")
# ctx->map is NULL when the iteration ends
	r1 = *(u64 *)(r1 + 8)          # bug: not NULL-checked
	call bpf_map_sum_elem_count
	r0 = 0
	exit
