# SEC("socket")
# both arms load the same btf id (969, struct cgroup): the second arm is pruned at the join
	r7 = 1                         # padding: enough work before the join that the kernel
	r8 = 2                         # stores a checkpoint there (>= 2 jumps, >= 8 insns)
	r7 += r8
	r7 += r8
	call bpf_get_prandom_u32
	r6 = r0
	if r6 > 100 goto other
	r2 = bpf_core_type_id_kernel(struct cgroup)
	goto cast
other:
	r2 = bpf_core_type_id_kernel(struct cgroup)
cast:
	r1 = 0
	call bpf_rdonly_cast
	r0 = *(u32 *)(r0 + 216)
	r0 = 0
	exit
