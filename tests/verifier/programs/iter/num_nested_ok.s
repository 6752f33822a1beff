# SEC("syscall")
# two bpf_iter_num iterators nested at fp-8 and fp-16, each destroyed
	r1 = r10
	r1 += -8
	r2 = 0
	r3 = 2
	call bpf_iter_num_new
outer:
	r1 = r10
	r1 += -8
	call bpf_iter_num_next
	if r0 == 0 goto outer_done
	r1 = r10
	r1 += -16
	r2 = 0
	r3 = 2
	call bpf_iter_num_new
inner:
	r1 = r10
	r1 += -16
	call bpf_iter_num_next
	if r0 != 0 goto inner
	r1 = r10
	r1 += -16
	call bpf_iter_num_destroy
	goto outer
outer_done:
	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
	r0 = 0
	exit
