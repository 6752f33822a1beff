# SEC("tc")
# MAP: jt prog_array key=u32 value=u32 max_entries=1
# a tail call from a subprogram (6.18, with a JIT that supports it): the path that comes back
# returns from the subprogram with an unknown R0; the failed call falls through
	call sub
	r0 = 0
	exit
sub:
	r2 = jt ll
	r3 = 0
	call bpf_tail_call
	r0 = 1
	exit
