# SEC("tc")
# bpf_dynptr_write into an skb dynptr may move the packet: its slices die (clear_all_pkt_pointers).
	r6 = r1
	r1 = 0
	*(u64 *)(r10 - 24) = r1
	r1 = r6
	r2 = 0
	r3 = r10
	r3 += -16
	call bpf_dynptr_from_skb
	r1 = r10
	r1 += -16
	r2 = 0
	r3 = r10
	r3 += -24
	r4 = 8
	call bpf_dynptr_slice
	if r0 == 0 goto out
	r7 = r0
	r1 = r10
	r1 += -16
	r2 = 0
	r3 = r10
	r3 += -24
	r4 = 4
	r5 = 0
	call bpf_dynptr_write
	r0 = *(u32 *)(r7 + 0)  # bug: the slice died with the write
out:
	r0 = 0
	exit
