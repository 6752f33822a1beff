# SEC("kprobe/do_nanosleep")
# bpf_copy_from_user_task() may sleep: a kprobe may not call it
	call bpf_get_current_task_btf
	r5 = r0
	r1 = r10
	r1 += -8
	r2 = 8
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_task   # bug: not a sleepable program
	r0 = 0
	exit
