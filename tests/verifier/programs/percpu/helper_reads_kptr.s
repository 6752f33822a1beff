# SEC("tc")
# TYPE: struct pv { long b; long c; long d; }
# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"
# a helper's memory argument may not cover a kptr field (check_map_access(), ACCESS_HELPER)
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r7 = r0
	r1 = r7
	r2 = 16
	r3 = 0
	call bpf_probe_read_kernel  # bug: writes over the __percpu_kptr
out:
	r0 = 0
	exit
