# SEC("cgroup/skb")
# skb->sk is a sock_common: bpf_sock's type..priority fields need bpf_sk_fullsock() first
	r1 = *(u64 *)(r1 + 168)
	if r1 == 0 goto out
	r0 = *(u32 *)(r1 + 8)          # bug: type is not in sock_common
out:
	r0 = 1
	exit
