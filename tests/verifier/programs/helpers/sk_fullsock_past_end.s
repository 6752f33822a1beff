# SEC("cgroup/skb")
# struct bpf_sock ends at 80: a load past it is refused by bpf_sock_is_valid_access()
	r1 = *(u64 *)(r1 + 168)
	if r1 == 0 goto out
	call bpf_sk_fullsock
	if r0 == 0 goto out
	r0 = *(u32 *)(r0 + 80)         # bug: past the last field
out:
	r0 = 1
	exit
