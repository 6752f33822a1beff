# SEC("tc")
# MAP: m array key=u32 value="struct val { struct bpf_spin_lock lock; u32 pad; u64 x; }"
# bpf_spin_lock() returns void: R0 is NOT_INIT after it (not printed), and the held lock is a
# reference state the log prints in refs=
	r1 = 0
	*(u32 *)(r10 -4) = r1
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r6 = r0
	r1 = r0
	call bpf_spin_lock
	r0 = *(u64 *)(r6 +8)
	exit  # the lock is still held
out:
	r0 = 0
	exit
