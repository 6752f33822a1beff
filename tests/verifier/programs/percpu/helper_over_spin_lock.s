# SEC("tc")
# MAP: m array key=u32 value="struct mv { long sum; struct bpf_spin_lock l; }"
# check_map_access()'s field loop also stops a helper's memory argument at a spin lock
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = r0
	r2 = 16
	r3 = 0
	call bpf_probe_read_kernel  # bug: bytes 0..15 cover the lock
out:
	r0 = 0
	exit
