# SEC("syscall")
# MAP: parked array key=u32 value="struct parked_task { struct task_struct __kptr *task; }"
# a task moved into the map; the task that was there comes back and is dropped on the floor
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = parked ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r6 = r0
	r1 = 7
	call bpf_task_from_pid
	if r0 == 0 goto out
	r2 = r0
	r1 = r6
	call bpf_kptr_xchg
	r7 = r0                        # leak: the old task returned by bpf_kptr_xchg is acquired
out:
	r0 = 0
	exit
