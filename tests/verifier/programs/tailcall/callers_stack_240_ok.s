# SEC("tc")
# MAP: jt prog_array key=u32 value=u32 max_entries=1
# 240 bytes of callers' stack is under the 256-byte limit of a subprogram with a tail call
	r2 = 0
	*(u64 *)(r10 - 240) = r2
	call sub
	r0 = 0
	exit
sub:
	r2 = jt ll
	r3 = 0
	call bpf_tail_call
	r0 = 0
	exit
