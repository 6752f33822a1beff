# SEC("tc")
# MAP: jt prog_array key=u32 value=u32 max_entries=1
# the limit counts every caller's frame: 128 + 128 bytes below the subprogram with the call
	r2 = 0
	*(u64 *)(r10 - 128) = r2
	call mid
	r0 = 0
	exit
mid:
	r2 = 0
	*(u64 *)(r10 - 128) = r2
	call sub                       # bug: 256 bytes of callers' stack
	r0 = 0
	exit
sub:
	r2 = jt ll
	r3 = 0
	call bpf_tail_call
	r0 = 0
	exit
