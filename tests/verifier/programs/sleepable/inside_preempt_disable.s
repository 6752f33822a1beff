# SEC("syscall")
# a sleepable kfunc between bpf_preempt_disable and bpf_preempt_enable
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	call bpf_preempt_disable
	r1 = r10
	r1 += -8
	r2 = 8
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str    # bug: may sleep with preemption disabled
	call bpf_preempt_enable
	r0 = 0
	exit
