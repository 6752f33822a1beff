# SEC("syscall")
# a cgroup reference leaks when the random bit is set
	r1 = 1
	call bpf_cgroup_from_id
	if r0 == 0 goto out
	r6 = r0
	call bpf_get_prandom_u32
	r0 &= 1
	if r0 != 0 goto out          # leak: r6 still holds the reference
	r1 = r6
	call bpf_cgroup_release
out:
	r0 = 0
	exit
