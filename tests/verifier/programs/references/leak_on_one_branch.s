# SEC("syscall")
# a cgroup reference released when a random number is small, forgotten otherwise
	r1 = 1
	call bpf_cgroup_from_id
	if r0 == 0 goto out
	r6 = r0
	call bpf_get_prandom_u32
	if r0 > 7 goto out             # leak: this edge skips the release of r6
	r1 = r6
	call bpf_cgroup_release
out:
	r0 = 0
	exit
