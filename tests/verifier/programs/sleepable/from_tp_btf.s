# SEC("tp_btf/task_newtask")
# bpf_copy_from_user_task_str (KF_SLEEPABLE) from a non-sleepable tp_btf program
	r6 = *(u64 *)(r1 + 0)
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -8
	r2 = 8
	r3 = 0
	r4 = r6
	r5 = 0
	call bpf_copy_from_user_task_str   # bug: tp_btf programs are not sleepable
	r0 = 0
	exit
