# SEC("syscall")
# the NULL check is on r0, but r0 is then reloaded from the unchecked copy of a second call
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0
	r1 = 2
	call bpf_task_from_pid
	r7 = r0
	r0 = *(u32 *)(r7 + 1264)       # bug: the second task was never NULL-checked
	r1 = r7
	call bpf_task_release
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
