# SEC("iter/task")
# meta->seq (BTF_TYPE_SAFE_TRUSTED) goes to bpf_seq_write, a helper only iterators get
	r1 = *(u64 *)(r1 + 0)
	r1 = *(u64 *)(r1 + 0)
	r2 = 7
	*(u64 *)(r10 - 8) = r2
	r2 = r10
	r2 += -8
	r3 = 8
	call bpf_seq_write
	r0 = 0
	exit
