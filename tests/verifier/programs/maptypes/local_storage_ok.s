# SEC("cgroup/skb")
# MAP: cg_storage cgroup_storage key=u64 value=u64 max_entries=0
# bpf_get_local_storage gives the cgroup's storage: a map value, never NULL
	r1 = cg_storage ll
	r2 = 0
	call bpf_get_local_storage
	r1 = *(u64 *)(r0 + 0)
	r1 += 1
	*(u64 *)(r0 + 0) = r1
	r0 = 1
	exit
