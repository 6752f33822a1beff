# SEC("tp_btf/task_newtask")
# an rcu pointer is enough for KF_RCU kfuncs but not for KF_TRUSTED_ARGS ones
	r1 = *(u64 *)(r1 + 0)
	r1 = *(u64 *)(r1 + 1280)       # real_parent: rcu, not trusted
	r2 = 0
	r3 = 0
	r4 = 0
	call bpf_send_signal_task      # bug: KF_TRUSTED_ARGS wants referenced or trusted
	r0 = 0
	exit
