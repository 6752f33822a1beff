# SEC("cgroup/skb")
# bpf_sk_fullsock() then a NULL check: narrow loads of bpf_sock fields are allowed
	r1 = *(u64 *)(r1 + 168)        # __sk_buff->sk
	if r1 == 0 goto out
	call bpf_sk_fullsock
	if r0 == 0 goto out
	r2 = *(u8 *)(r0 + 8)           # type
	r2 = *(u16 *)(r0 + 48)         # dst_port
	r2 = *(u32 *)(r0 + 76)         # rx_queue_mapping
out:
	r0 = 1
	exit
