# SEC("syscall")
# MAP: parked array key=u32 value="struct parked_task { struct task_struct __kptr *task; }"
# a task reference moved into an array slot with bpf_kptr_xchg; the previous one is released
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
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
