# SEC("tc")
# MAP: jt prog_array key=u32 value=u32 max_entries=1
# bpf_tail_call returns nothing (RET_VOID): after a failed tail call R0 is unset
	r2 = jt ll
	r3 = 0
	call bpf_tail_call
	exit                           # bug: R0 not set
