# SEC("socket")
# bpf_rdonly_cast to struct task_struct and read ->pid at +1264
	r1 = 0
	r2 = bpf_core_type_id_kernel(struct task_struct)
	call bpf_rdonly_cast
	r0 = *(u32 *)(r0 + 1264)
	r0 = 0
	exit
