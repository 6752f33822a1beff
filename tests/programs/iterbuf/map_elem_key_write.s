# SEC("iter/bpf_map_elem")
# ctx->key is PTR_TO_BUF | MEM_RDONLY
	r2 = *(u64 *)(r1 + 16)
	if r2 == 0 goto out
	r3 = 0
	*(u32 *)(r2 + 0) = r3          # bug: write into the key
out:
	r0 = 0
	exit
