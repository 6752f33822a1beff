# SEC("tc")
# MAP: progs prog_array key=u32 value=u32 max_entries=2
# a tail call from a subprogram: on success the subprogram returns what the target returned
	call sub
	exit
sub:
	r2 = progs ll
	r3 = 0
	call bpf_tail_call
	r0 = 0
	exit
