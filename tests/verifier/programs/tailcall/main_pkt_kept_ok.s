# SEC("tc")
# MAP: jt prog_array key=u32 value=u32 max_entries=1
# in the main program a failed tail call changed nothing: packet pointers stay valid
	r6 = *(u32 *)(r1 + 76)
	r7 = *(u32 *)(r1 + 80)
	r8 = r6
	r8 += 4
	if r8 > r7 goto out
	r2 = jt ll
	r3 = 0
	call bpf_tail_call
	r0 = *(u32 *)(r6 + 0)
out:
	r0 = 0
	exit
