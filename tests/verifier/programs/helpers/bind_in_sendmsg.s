# SEC("cgroup/sendmsg4")
# sock_addr_func_proto() offers bpf_bind() to connect hooks only (a switch on the attach type)
	r2 = 0
	*(u64 *)(r10 - 8) = r2
	*(u64 *)(r10 - 16) = r2
	r2 = r10
	r2 += -16
	r3 = 16
	call bpf_bind                  # bug: a sendmsg4 program
	r0 = 1
	exit
