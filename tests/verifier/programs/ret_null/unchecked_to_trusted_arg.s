# SEC("syscall")
# a maybe-NULL cgroup handed to bpf_cgroup_acquire (KF_RCU: no NULL allowed)
	r1 = 1
	call bpf_cgroup_from_id
	r6 = r0
	r1 = r0                        # bug: not NULL-checked
	call bpf_cgroup_acquire
	r0 = 0
	exit
