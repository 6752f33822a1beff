# SEC("cgroup/skb")
# MAP: cg_storage cgroup_storage key=u64 value=u64 max_entries=0
# a cgroup storage map is reached through bpf_get_local_storage only
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r2 = r10
	r2 += -8
	r1 = cg_storage ll
	call bpf_map_lookup_elem       # bug: lookup in cgroup storage
	r0 = 1
	exit
