# SEC("sockops")
# a sock_ops program may write only reply and sk_txhash
	r2 = 2
	*(u32 *)(r1 + 20) = r2         # bug: family is read only
	r0 = 1
	exit
