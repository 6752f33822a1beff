# SEC("tp_btf/task_newtask")
# bpf_iter_num over [0, 5): sum the values, then destroy the iterator
	r1 = r10
	r1 += -8
	r2 = 0
	r3 = 5
	call bpf_iter_num_new
	r6 = 0
loop:
	r1 = r10
	r1 += -8
	call bpf_iter_num_next
	if r0 == 0 goto done
	r1 = *(u32 *)(r0 + 0)
	r6 += r1
	goto loop
done:
	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
	r0 = 0
	exit
