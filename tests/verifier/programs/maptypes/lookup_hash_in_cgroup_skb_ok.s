# SEC("cgroup/skb")
# MAP: h hash key=u64 value=u64 max_entries=1
# a hash map goes to bpf_map_lookup_elem from any program type
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r2 = r10
	r2 += -8
	r1 = h ll
	call bpf_map_lookup_elem
	r0 = 1
	exit
