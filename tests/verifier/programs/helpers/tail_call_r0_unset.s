# SEC("tc")
# MAP: progs prog_array key=u32 value=u32 max_entries=2
# bpf_tail_call() returns nothing (RET_VOID): R0 is unset when the tail call falls through
	r2 = progs ll
	r3 = 0
	call bpf_tail_call
	exit                           # bug: R0 was never set
