# SEC("syscall")
# a task reference taken by pid; both arms of a random branch release it
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0
	call bpf_get_prandom_u32
	if r0 > 7 goto other
	r1 = r6
	call bpf_task_release
	goto out
other:
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
