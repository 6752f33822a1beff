# SEC("tracepoint/syscalls/sys_enter_nanosleep")
# the first 8 bytes of a tracepoint record (its common header) are hidden
	r2 = *(u32 *)(r1 + 4)          # bug: inside the header
	r0 = 0
	exit
