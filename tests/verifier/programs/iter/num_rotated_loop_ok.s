# SEC("syscall")
# a while loop compiled rotated: bpf_iter_num_next at the bottom jumps back to the body, a
# jump target the infinite-loop check looks at; the iterator's depth differs each round
# (iter_active_depths_differ()), so this is progress, not an infinite loop
	r6 = r10
	r6 += -8
	r1 = r6
	r2 = 0
	r3 = 3
	call bpf_iter_num_new
	r1 = r6
	call bpf_iter_num_next
	if r0 == 0 goto done
body:
	r3 = *(u32 *)(r0 + 0)
	r1 = r10
	r1 += -8
	call bpf_iter_num_next
	if r0 != 0 goto body  # the back edge
done:
	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
	r0 = 0
	exit
