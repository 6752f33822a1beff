# SEC("raw_tp/sys_enter")
# raw tracepoint arguments may be read narrowly
	r2 = *(u32 *)(r1 + 8)
	r3 = *(u8 *)(r1 + 15)
	r0 = 0
	exit
