# SEC("xdp")
# a privileged 32-bit move of a pointer gives an unknown scalar, zero-extended like any w-move
# (mark_reg_unknown(), then zext_32_to_64()): its upper half is known zero, so the branch that
# needs it non-zero is dead and its read of an uninitialised register is never checked
	r2 = *(u32 *)(r1 + 0)
	w1 = w2
	r1 >>= 32
	if r1 == 0 goto out
	r0 = *(u32 *)(r7 + 0)          # dead: r1 >> 32 is 0
out:
	r0 = 2
	exit
