# SEC("tp_btf/task_newtask")
# MAP: tasks array key=u32 value="struct slot { struct task_struct __kptr_ref *task; }"
# doc profile: KF_KPTR_GET takes the map value slot holding a referenced kptr (__kptr_ref before 6.4)
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = tasks ll
	call bpf_map_lookup_elem
	r1 = r0
	call bpf_task_kptr_get
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
