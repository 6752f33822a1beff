# SEC("socket")
# path 1 casts to struct task_struct (3264 bytes), path 2 to struct cpumask (32 bytes);
# both then read +1264. Path 1 is safe and explored first; precision on btf_id__k stops
# path 2 from being pruned against it at the join
	r7 = 1                         # padding: enough work before the join that the kernel
	r8 = 2                         # stores a checkpoint there (>= 2 jumps, >= 8 insns)
	r7 += r8
	r7 += r8
	call bpf_get_prandom_u32
	r6 = r0
	if r6 > 100 goto small
	r2 = bpf_core_type_id_kernel(struct task_struct)
	goto cast
small:
	r2 = bpf_core_type_id_kernel(struct cpumask)
cast:
	r1 = 0
	call bpf_rdonly_cast
	r0 = *(u32 *)(r0 + 1264)       # bug: only task_struct has a field here
	r0 = 0
	exit
