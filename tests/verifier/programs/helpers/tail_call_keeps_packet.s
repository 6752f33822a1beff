# SEC("tc")
# MAP: progs prog_array key=u32 value=u32 max_entries=2
# in the main program a tail call that falls through leaves packet pointers valid
	r6 = r1
	r7 = *(u32 *)(r6 + 76)         # data
	r8 = *(u32 *)(r6 + 80)         # data_end
	r1 = r7
	r1 += 4
	if r1 > r8 goto out
	r1 = r6
	r2 = progs ll
	r3 = 0
	call bpf_tail_call
	r0 = *(u32 *)(r7 + 0)          # still checked against data_end
out:
	r0 = 0
	exit
