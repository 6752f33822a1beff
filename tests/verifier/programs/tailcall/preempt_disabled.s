# SEC("tc")
# MAP: jt prog_array key=u32 value=u32 max_entries=1
# a tail call with preemption disabled would never enable it again
	r6 = r1
	call bpf_preempt_disable
	r1 = r6
	r2 = jt ll
	r3 = 0
	call bpf_tail_call             # bug: preemption disabled
	call bpf_preempt_enable
	r0 = 0
	exit
