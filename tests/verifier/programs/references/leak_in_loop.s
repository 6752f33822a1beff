# SEC("syscall")
# a task acquired on each of four iterations; the third iteration skips the release
	r6 = 0
loop:
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto next
	if r6 == 2 goto next           # leak: r0 is overwritten by the next iteration's call
	r1 = r0
	call bpf_task_release
next:
	r6 += 1
	if r6 < 4 goto loop
	r0 = 0
	exit
