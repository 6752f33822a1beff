# SEC("xdp")
# XDP's btf_struct_access hook lets a program write struct nf_conn only at mark
# (_nf_conntrack_btf_struct_access()); offset 0 (ct_general) is refused by offset
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
	r1 = 0
	*(u32 *)(r0 + 0) = r1          # bug: only nf_conn.mark may be written
	r1 = r0
	call bpf_ct_release
out:
	r0 = 2
	exit
