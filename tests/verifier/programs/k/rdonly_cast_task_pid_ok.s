# SEC("socket")
# bpf_rdonly_cast to struct task_struct (btf_id__k 114 on this kernel) and read ->pid at +1264
	r1 = 0
	r2 = 114
	call bpf_rdonly_cast
	r0 = *(u32 *)(r0 + 1264)
	r0 = 0
	exit
