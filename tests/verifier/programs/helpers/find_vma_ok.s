# SEC("kprobe/do_nanosleep")
# bpf_find_vma(task, addr, cb, ctx, flags): the callback gets (task, vma, ctx) and may read the vma
	call bpf_get_current_task_btf
	r1 = r0
	r2 = 0
	*(u64 *)(r10 - 8) = r2
	r3 = cb ll
	r4 = r10
	r4 += -8
	r5 = 0
	call bpf_find_vma
	r0 = 0
	exit
cb:
	r1 = *(u64 *)(r2 + 0)          # vma->vm_start
	*(u64 *)(r3 + 0) = r1
	r0 = 0
	exit
