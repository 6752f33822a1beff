# SEC("tp_btf/task_newtask")
# a trusted tracepoint argument passed to a KF_TRUSTED_ARGS kfunc (verified, never run)
	r1 = *(u64 *)(r1 + 0)
	r2 = 0
	r3 = 0
	r4 = 0
	call bpf_send_signal_task
	r0 = 0
	exit
