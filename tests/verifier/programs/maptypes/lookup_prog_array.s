# SEC("socket")
# MAP: progs prog_array key=u32 value=u32 max_entries=4
# a program array is for bpf_tail_call only
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = progs ll
	call bpf_map_lookup_elem       # bug: lookup in a prog_array
	r0 = 0
	exit
