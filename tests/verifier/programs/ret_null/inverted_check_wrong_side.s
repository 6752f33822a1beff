# SEC("syscall")
# if r0 != 0 jumps away, and the fall-through (where r0 is NULL) dereferences it
	r1 = 1
	call bpf_cgroup_from_id
	if r0 != 0 goto release
	r0 = *(u32 *)(r0 + 216)        # bug: r0 is the constant 0 on this side
	r0 = 0
	exit
release:
	r1 = r0
	call bpf_cgroup_release
	r0 = 0
	exit
