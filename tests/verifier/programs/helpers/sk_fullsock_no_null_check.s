# SEC("cgroup/skb")
# bpf_sk_fullsock() returns sock_or_null: a load before the NULL check is refused
	r1 = *(u64 *)(r1 + 168)        # __sk_buff->sk
	if r1 == 0 goto out
	call bpf_sk_fullsock
	r0 = *(u32 *)(r0 + 8)          # bug: R0 may be NULL
out:
	r0 = 1
	exit
