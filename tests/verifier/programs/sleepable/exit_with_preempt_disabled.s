# SEC("tp_btf/task_newtask")
# the program returns with preemption still disabled
	call bpf_preempt_disable
	r0 = 0
	exit                           # bug: no bpf_preempt_enable
