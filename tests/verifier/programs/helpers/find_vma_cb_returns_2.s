# SEC("kprobe/do_nanosleep")
# a bpf_find_vma() callback returns 0 or 1, like every sync callback
	call bpf_get_current_task_btf
	r1 = r0
	r2 = 0
	r3 = cb ll
	r4 = 0
	r5 = 0
	call bpf_find_vma
	r0 = 0
	exit
cb:
	r0 = 2                         # bug: outside [0, 1]
	exit
