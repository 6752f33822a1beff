# SEC("tc")
# skb->sk is not a reference the program holds: bpf_sk_release() refuses it
	r1 = *(u64 *)(r1 + 168)        # __sk_buff->sk
	if r1 == 0 goto out
	call bpf_sk_release            # bug: R1 was never acquired
out:
	r0 = 0
	exit
