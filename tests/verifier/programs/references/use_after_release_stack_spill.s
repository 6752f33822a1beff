# SEC("syscall")
# a task spilled to fp-16, released, then filled back and read
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	*(u64 *)(r10 - 16) = r0
	r1 = r0
	call bpf_task_release
	r8 = *(u64 *)(r10 - 16)
	r0 = *(u32 *)(r8 + 1264)       # use after release: the spilled copy was invalidated too
out:
	r0 = 0
	exit
