# SEC("cgroup/dev")
# only access_type of bpf_cgroup_dev_ctx may be read narrowly
	r2 = *(u16 *)(r1 + 0)
	r3 = *(u16 *)(r1 + 4)          # bug: a narrow load of major
	r0 = 1
	exit
