# SEC("cgroup/sysctl")
# bpf_set_retval() in a cgroup/sysctl program: the attach type allows it
	r1 = -1
	call bpf_set_retval
	r0 = 1
	exit
