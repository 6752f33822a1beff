# SEC("socket")
# bpf_cgroup_from_id from a socket filter
	r1 = 1
	call bpf_cgroup_from_id        # bug: socket filters have no access to the generic kfuncs
	if r0 == 0 goto out
	r1 = r0
	call bpf_cgroup_release
out:
	r0 = 0
	exit
