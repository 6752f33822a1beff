# SEC("xdp")
# bpf_xdp_ct_lookup with a zeroed 36-byte tuple and 16-byte opts; the result is NULL-checked and released
	r2 = 0
	*(u64 *)(r10 - 8) = r2
	*(u64 *)(r10 - 16) = r2
	*(u64 *)(r10 - 24) = r2
	*(u64 *)(r10 - 32) = r2
	*(u64 *)(r10 - 40) = r2
	*(u64 *)(r10 - 48) = r2
	*(u64 *)(r10 - 56) = r2
	r2 = r10
	r2 += -48
	r3 = 12
	r4 = r10
	r4 += -16
	r5 = 16
	call bpf_xdp_ct_lookup
	if r0 == 0 goto out
	r1 = r0
	call bpf_ct_release
out:
	r0 = 2
	exit
