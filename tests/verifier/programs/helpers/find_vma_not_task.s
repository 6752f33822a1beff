# SEC("kprobe/do_nanosleep")
# bpf_find_vma()'s first argument is a task_struct (ARG_PTR_TO_BTF_ID), not the context
	r2 = 0
	r3 = cb ll
	r4 = 0
	r5 = 0
	call bpf_find_vma              # bug: R1 is the pt_regs context
	r0 = 0
	exit
cb:
	r0 = 0
	exit
