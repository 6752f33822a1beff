# SEC("tc")
# MAP: jt prog_array key=u32 value=u32 max_entries=1
# a tail call in a subprogram may have run another program and returned: the caller's packet
# pointers are dead (clear_all_pkt_pointers)
	r6 = *(u32 *)(r1 + 76)
	r7 = *(u32 *)(r1 + 80)
	r8 = r6
	r8 += 4
	if r8 > r7 goto out
	call sub
	r0 = *(u32 *)(r6 + 0)          # bug: r6 died with the tail call
out:
	r0 = 0
	exit
sub:
	r2 = jt ll
	r3 = 0
	call bpf_tail_call
	r0 = 0
	exit
