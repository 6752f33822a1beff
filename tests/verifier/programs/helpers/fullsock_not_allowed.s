# SEC("socket")
# socket filters' get_func_proto() does not offer bpf_sk_fullsock
	r1 = 0
	call bpf_sk_fullsock           # bug: not available to BPF_PROG_TYPE_SOCKET_FILTER
	r0 = 0
	exit
