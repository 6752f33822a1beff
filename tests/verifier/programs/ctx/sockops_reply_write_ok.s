# SEC("sockops")
# a sock_ops program reads op and the remote port and writes its reply
	r2 = *(u32 *)(r1 + 0)          # op
	r3 = *(u32 *)(r1 + 64)         # remote_port
	r2 = 1
	*(u32 *)(r1 + 4) = r2          # reply
	r0 = 1
	exit
