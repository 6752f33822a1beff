# SEC("tc")
# bpf_sk_fullsock() takes a socket (ARG_PTR_TO_SOCK_COMMON), not the context
	call bpf_sk_fullsock           # bug: R1 is the __sk_buff
	r0 = 0
	exit
