# SEC("socket")
# check_ids_in_regsafe, made to checkpoint without BPF_F_TEST_STATE_FREQ: on the fall-through
# path r7 = r6 share an id, so "if r7 > 4" bounds r6 too; on the taken path they do not. The
# checkpoint at l1 needs r7 precise as well as r6 (bt_sync_linked_regs()), or the taken path
# would be pruned against it and r6 added to the stack pointer unbounded
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	r9 = r10
	r9 += -8
	call bpf_ktime_get_ns
	r7 = r0
	call bpf_ktime_get_ns
	r6 = r0
	if r6 > r7 goto l1
	r7 = r6
	call bpf_ktime_get_ns
	call bpf_ktime_get_ns
	r1 = 0
	r1 = 0
	r1 = 0
	r1 = 0
	r1 = 0
l1:
	if r7 > 4 goto l2
	r9 += r6  # bug: r6 is bounded only where r7 = r6
	r0 = *(u8 *)(r9 + 0)
l2:
	r0 = 0
	exit
