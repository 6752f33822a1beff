# SEC("sk_lookup")
# bpf_sk_lookup: narrow loads of the addresses, remote_port as u16 or u32
	r2 = *(u8 *)(r1 + 16)
	r3 = *(u16 *)(r1 + 36)
	r4 = *(u32 *)(r1 + 36)
	r5 = *(u32 *)(r1 + 64)
	r0 = 1
	exit
