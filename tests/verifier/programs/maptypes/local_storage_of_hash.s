# SEC("cgroup/skb")
# MAP: h hash key=u64 value=u64 max_entries=1
# only a cgroup storage map goes to bpf_get_local_storage
	r1 = h ll
	r2 = 0
	call bpf_get_local_storage     # bug: a hash map
	r0 = 1
	exit
