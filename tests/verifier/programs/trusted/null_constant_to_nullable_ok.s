# SEC("tp_btf/task_newtask")
# task__nullable accepts NULL: iterate over all tasks (KF_RCU_PROTECTED, implicitly in RCU here)
	r1 = r10
	r1 += -24
	r2 = 0                         # NULL is fine for task__nullable
	r3 = 0
	call bpf_iter_task_new
	r1 = r10
	r1 += -24
	call bpf_iter_task_next
	r1 = r10
	r1 += -24
	call bpf_iter_task_destroy
	r0 = 0
	exit
