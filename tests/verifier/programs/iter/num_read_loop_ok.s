# SEC("syscall")
# bpf_iter_num over [1, 4): each value is read and checked, no state carried between rounds
	r1 = r10
	r1 += -8
	r2 = 1
	r3 = 4
	call bpf_iter_num_new
loop:
	r1 = r10
	r1 += -8
	call bpf_iter_num_next
	if r0 == 0 goto done
	r1 = *(u32 *)(r0 + 0)
	if r1 > 10 goto done
	goto loop
done:
	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
	r0 = 0
	exit
