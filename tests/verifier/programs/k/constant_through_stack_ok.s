# SEC("socket")
# the constant btf id spilled to the stack and filled back before the call: still a constant
	r1 = bpf_core_type_id_kernel(struct cgroup)
	*(u64 *)(r10 - 8) = r1
	r2 = *(u64 *)(r10 - 8)
	r1 = 0
	call bpf_rdonly_cast
	r0 = *(u32 *)(r0 + 216)        # cgroup->level
	r0 = 0
	exit
