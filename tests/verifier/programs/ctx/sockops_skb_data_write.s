# SEC("sockops")
# sock_ops programs see the packet read only
	r2 = *(u64 *)(r1 + 192)        # skb_data
	r3 = *(u64 *)(r1 + 200)        # skb_data_end
	r4 = r2
	r4 += 1
	if r4 > r3 goto out
	r5 = 0
	*(u8 *)(r2 + 0) = r5           # bug: cannot write into the packet
out:
	r0 = 1
	exit
