# SEC("syscall")
# a sleepable kfunc while interrupts are off (bpf_local_irq_save, flag at fp-16)
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -16
	call bpf_local_irq_save
	r1 = r10
	r1 += -8
	r2 = 8
	r3 = 0
	r4 = 0
	call bpf_copy_from_user_str    # bug: may sleep with IRQs disabled
	r1 = r10
	r1 += -16
	call bpf_local_irq_restore
	r0 = 0
	exit
