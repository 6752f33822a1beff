# SEC("sk_msg")
# sk_msg_md fields are read as whole u32s
	r2 = *(u16 *)(r1 + 68)         # bug: a narrow load of size
	r0 = 1
	exit
