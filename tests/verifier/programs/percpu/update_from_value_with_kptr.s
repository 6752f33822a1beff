# SEC("tc")
# TYPE: struct pv { long b; long c; long d; }
# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"
# a map value holding a kptr is no value argument for bpf_map_update_elem (ACCESS_HELPER)
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r3 = r0
	r2 = r10
	r2 += -4
	r1 = m ll
	r4 = 0
	call bpf_map_update_elem  # bug: the helper would copy the kptr
out:
	r0 = 0
	exit
