# SEC("raw_tp")
# the iterator lives on the caller's stack and a subprogram calls bpf_iter_num_next on it
# (process_iter_arg() looks in the frame the pointer points into); the subprogram is called
# twice with different bounds, and widening compares only states of the same call chain
# (find_prev_entry(): same_callsites()), so the bound stays known and the array read is safe
	r6 = r10
	r6 += -8
	r8 = r10
	r8 += -136
	r1 = r6
	r2 = 0
	r3 = 16
	call bpf_iter_num_new
	r1 = r6
	r2 = 16
	r3 = r8
	call sum  # the iterator of frame 0, passed as fp[0]-8
	r1 = r6
	call bpf_iter_num_destroy
	r1 = r6
	r2 = 0
	r3 = 32
	call bpf_iter_num_new
	r1 = r6
	r2 = 32
	r3 = r8
	call sum
	r1 = r6
	call bpf_iter_num_destroy
	r0 = 0
	exit
sum:
	r6 = r1
	r7 = r2
	r8 = r3
loop:
	r1 = r6
	call bpf_iter_num_next
	if r0 == 0 goto done
	r1 = *(u32 *)(r0 + 0)
	if r1 >= r7 goto done
	r1 <<= 2
	r2 = r8
	r2 += r1
	r0 = *(u32 *)(r2 + 0)  # needs r7 <= 32
	goto loop
done:
	r0 = 0
	exit
