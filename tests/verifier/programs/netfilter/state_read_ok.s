# SEC("netfilter")
# struct bpf_nf_ctx: state (at 0) is a trusted struct nf_hook_state pointer
	r2 = *(u64 *)(r1 + 0)
	r0 = *(u8 *)(r2 + 0)
	r0 = 1
	exit
