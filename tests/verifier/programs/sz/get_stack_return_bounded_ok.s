# SEC("tracepoint/syscalls/sys_enter_getpid")
# MAP: vals array key=u32 value="struct val { long a; long b; long c; long d; long e; long f; }"
# do_refine_retval_range(): bpf_get_stack returns at most the size it was given (24), so the
# returned length may index the 48-byte value it filled
	r6 = r1
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = vals ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r7 = r0
	r1 = r6
	r2 = r7
	r3 = 24
	r4 = 256
	call bpf_get_stack
	r8 = r0
	r8 <<= 32
	r8 s>>= 32
	r1 = 0
	if r1 s> r8 goto out
	r2 = r7
	r2 += r8
	r0 = *(u8 *)(r2 + 0)  # r8 <= 24
out:
	r0 = 0
	exit
