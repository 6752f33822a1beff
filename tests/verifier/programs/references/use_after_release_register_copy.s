# SEC("syscall")
# a cgroup released through r1 while r7 keeps a copy; the copy is then read
	r1 = 1
	call bpf_cgroup_from_id
	if r0 == 0 goto out
	r7 = r0
	r1 = r0
	call bpf_cgroup_release
	r0 = *(u32 *)(r7 + 216)        # use after release: r7 is no longer a pointer
out:
	r0 = 0
	exit
