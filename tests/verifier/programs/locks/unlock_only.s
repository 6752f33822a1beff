# SEC("tc")
# MAP: vals array key=u32 value="struct val { struct bpf_spin_lock lock; u32 pad; u64 count; }"
# bpf_spin_unlock without a bpf_spin_lock
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = vals ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r6 = r0
	r1 = r6
	r1 += 0  # bug: no bpf_spin_lock before the unlock
	r1 = *(u64 *)(r6 + 8)
	r1 += 1
	*(u64 *)(r6 + 8) = r1
	r1 = r6
	call bpf_spin_unlock
out:
	r0 = 0
	exit
