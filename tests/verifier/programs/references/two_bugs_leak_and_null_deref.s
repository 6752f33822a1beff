# SEC("syscall")
# two distinct bugs on two arms: the left arm leaks the task, the right arm reads it unchecked
	r1 = 1
	call bpf_task_from_pid
	r6 = r0
	call bpf_get_prandom_u32
	if r0 > 7 goto right
	if r6 == 0 goto out
	goto out                       # leak: the non-NULL task is never released
right:
	r0 = *(u32 *)(r6 + 1264)       # bug: r6 was not NULL-checked on this arm
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
