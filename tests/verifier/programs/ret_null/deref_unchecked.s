# SEC("syscall")
# the task's pid read straight from bpf_task_from_pid's result, before any NULL check
	r1 = 1
	call bpf_task_from_pid
	r6 = *(u32 *)(r0 + 1264)       # bug: r0 may be NULL here
	r1 = r0
	call bpf_task_release
	r0 = 0
	exit
