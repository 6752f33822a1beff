# SEC("syscall")
# a diamond: the left arm checks the task for NULL, the right arm does not; both read it
	r1 = 1
	call bpf_task_from_pid
	r6 = r0
	call bpf_get_prandom_u32
	if r0 > 100 goto right
	if r6 == 0 goto out
	goto join
right:
	r0 = 0                         # bug: this arm reaches the read without a NULL check
join:
	r0 = *(u32 *)(r6 + 1268)
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
