# SEC("netfilter")
# struct bpf_nf_ctx has two pointers (16 bytes)
	r2 = *(u64 *)(r1 + 16)         # bug: past the end
	r0 = 1
	exit
