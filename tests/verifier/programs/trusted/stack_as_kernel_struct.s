# SEC("tp_btf/task_newtask")
# a stack pointer given for bpf_task_acquire's struct task_struct *: a stack pointer is no
# BTF_ID pointer, so get_kfunc_ptr_arg_type() takes the argument as memory, and a task_struct
# is not a struct of scalars; that error comes before any check of trust
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r1 = r10
	r1 += -8
	call bpf_task_acquire          # bug: fp-8 is not a task
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
