# SEC("tp_btf/task_newtask")
# calls: helper by number and by name, kfuncs by name, and a BPF-to-BPF call to a label
	r6 = r1
	call 7
	call bpf_get_prandom_u32
	call bpf_ktime_get_ns
	r1 = *(u64 *)(r6 + 0)
	call bpf_task_acquire
	if r0 == 0 goto skip
	r1 = r0
	call bpf_task_release
skip:
	r1 = 5
	call square
	exit
square:
	r0 = r1
	r0 *= r1
	exit
