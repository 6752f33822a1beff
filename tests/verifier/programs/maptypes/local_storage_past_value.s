# SEC("cgroup/skb")
# MAP: cg_storage cgroup_storage key=u64 value=u64 max_entries=0
# the storage is as large as the map's value
	r1 = cg_storage ll
	r2 = 0
	call bpf_get_local_storage
	r1 = *(u64 *)(r0 + 8)          # bug: past the 8-byte value
	r0 = 1
	exit
