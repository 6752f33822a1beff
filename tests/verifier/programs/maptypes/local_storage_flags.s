# SEC("cgroup/skb")
# MAP: cg_storage percpu_cgroup_storage key=u64 value=u64 max_entries=0
# bpf_get_local_storage cannot fail, so its flags must be a known zero
	r1 = cg_storage ll
	r2 = 1                         # bug: non-zero flags
	call bpf_get_local_storage
	r0 = 1
	exit
