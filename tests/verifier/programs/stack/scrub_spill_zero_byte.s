# SEC("socket")
# a narrow write into a slot holding a spill scrubs every written byte of the slot to
# STACK_MISC, the zero byte beside the spill too (scrub_spilled_slot()): the byte read back is
# then any value, and the branch taken when it is not zero is checked
	r1 = 0
	*(u8 *)(r10 - 6) = r1
	r1 = 15
	*(u16 *)(r10 - 8) = r1
	call bpf_ktime_get_ns
	*(u32 *)(r10 - 4) = r0
	r1 = *(u8 *)(r10 - 6)
	if r1 == 0 goto out
	r0 = *(u32 *)(r7 + 0)          # bug: the byte was scrubbed, it may be non-zero
out:
	r0 = 0
	exit
