# SEC("cgroup_skb/ingress")
# without an exception callback the cookie is the return value: cgroup_skb needs [0, 1]
	r1 = 7  # bug: the cookie
	call bpf_throw
	r0 = 0
	exit
