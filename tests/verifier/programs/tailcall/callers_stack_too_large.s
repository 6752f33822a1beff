# SEC("tc")
# MAP: jt prog_array key=u32 value=u32 max_entries=1
# tail calls keep their callers' frames: a subprogram with one may not sit on 256 bytes of them
	r2 = 0
	*(u64 *)(r10 - 256) = r2       # bug: 256 bytes of stack below sub
	call sub
	r0 = 0
	exit
sub:
	r2 = jt ll
	r3 = 0
	call bpf_tail_call
	r0 = 0
	exit
