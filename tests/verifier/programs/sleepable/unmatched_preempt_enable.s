# SEC("tp_btf/task_newtask")
# bpf_preempt_enable with no bpf_preempt_disable before it
	call bpf_preempt_enable        # bug: unmatched
	r0 = 0
	exit
