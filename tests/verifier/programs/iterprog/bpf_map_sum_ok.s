# SEC("iter/bpf_map")
# ctx->map is trusted once NULL-checked: bpf_map_sum_elem_count takes it
	r1 = *(u64 *)(r1 + 8)
	if r1 == 0 goto out
	call bpf_map_sum_elem_count
out:
	r0 = 0
	exit
