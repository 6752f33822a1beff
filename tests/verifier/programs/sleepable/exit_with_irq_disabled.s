# SEC("tp_btf/task_newtask")
# the program returns with interrupts still disabled
	r1 = r10
	r1 += -8
	call bpf_local_irq_save
	r0 = 0
	exit                           # bug: no bpf_local_irq_restore
