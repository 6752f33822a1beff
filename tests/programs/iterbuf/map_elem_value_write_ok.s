# SEC("iter/bpf_map_elem")
# ctx->value is a writable buffer once NULL-checked; its size is checked at attach time
	r2 = *(u64 *)(r1 + 24)
	if r2 == 0 goto out
	r3 = *(u32 *)(r2 + 4)
	r3 += 1
	*(u32 *)(r2 + 4) = r3
out:
	r0 = 0
	exit
