# SEC("socket")
# a 4-byte fill of a 4-byte spill shares the spill's id (check_stack_read_fixed_off()), and a
# branch on the register bounds the spilled copy too (collect_linked_regs() walks the stack):
# the second fill is at most 4, a valid offset into the 8 initialised bytes at fp-16
	r1 = 0
	*(u64 *)(r10 - 16) = r1
	call bpf_ktime_get_ns
	w6 = w0
	*(u32 *)(r10 - 8) = r6
	r7 = *(u32 *)(r10 - 8)
	if r7 > 4 goto out
	r8 = *(u32 *)(r10 - 8)
	r9 = r10
	r9 += -16
	r9 += r8
	r0 = *(u8 *)(r9 + 0)           # ok: r8 is at most 4
out:
	r0 = 0
	exit
