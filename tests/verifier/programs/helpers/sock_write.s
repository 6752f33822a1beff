# SEC("cgroup/skb")
# socket pointers are read only
	r1 = *(u64 *)(r1 + 168)
	if r1 == 0 goto out
	call bpf_sk_fullsock
	if r0 == 0 goto out
	r2 = 0
	*(u32 *)(r0 + 16) = r2         # bug: a write into a sock
out:
	r0 = 1
	exit
