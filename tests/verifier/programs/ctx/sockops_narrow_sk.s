# SEC("sockops")
# the sk pointer of bpf_sock_ops is loaded whole or not at all
	r2 = *(u32 *)(r1 + 188)        # bug: the upper half of the sk pointer
	r0 = 1
	exit
