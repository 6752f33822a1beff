# SEC("cgroup_skb/ingress")
# cgroup_common_func_proto() refuses bpf_get_retval() to ingress/egress programs
	call bpf_get_retval            # bug: not for BPF_CGROUP_INET_INGRESS
	r0 = 1
	exit
