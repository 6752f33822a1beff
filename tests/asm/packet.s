# SEC("socket")
# legacy packet loads (BPF_ABS, BPF_IND): r6 holds the skb, the result goes to r0
	r6 = r1
	r0 = *(u8 *)skb[12]
	r0 = *(u16 *)skb[12]
	r0 = *(u32 *)skb[0]
	r7 = 14
	r0 = *(u8 *)skb[r7]
	r0 = *(u16 *)skb[r7]
	r0 = *(u32 *)skb[r7]
	exit
