# SEC("tp_btf/task_newtask")
# bpf_iter_num_next is KF_RET_NULL without KF_ACQUIRE: its int * must still be NULL-checked
	r1 = r10
	r1 += -8
	r2 = 0
	r3 = 4
	call bpf_iter_num_new
	r1 = r10
	r1 += -8
	call bpf_iter_num_next
	r6 = *(u32 *)(r0 + 0)          # bug: on the drained path r0 is the constant 0
	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
	r0 = 0
	exit
