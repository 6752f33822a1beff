# SEC("socket")
# one arm loads task_struct's id, the other computes (id - 14) + 14: the same constant
# reached two ways
	r7 = 1                         # padding: enough work before the join that the kernel
	r8 = 2                         # stores a checkpoint there (>= 2 jumps, >= 8 insns)
	r7 += r8
	r7 += r8
	call bpf_get_prandom_u32
	r6 = r0
	if r6 > 100 goto other
	r2 = bpf_core_type_id_kernel(struct task_struct)
	goto cast
other:
	r2 = bpf_core_type_id_kernel(struct task_struct)
	r2 -= 14
	r2 += 14
cast:
	r1 = 0
	call bpf_rdonly_cast
	r0 = *(u32 *)(r0 + 1264)
	r0 = 0
	exit
