# SEC("tc")
# TYPE: struct pv { long b; long c; long d; }
# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"
# a kptr field is loaded whole (BPF_DW) or not at all (check_map_access())
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r7 = r0
	r1 = *(u32 *)(r7 + 8)  # bug: 4 bytes of a __percpu_kptr
out:
	r0 = 0
	exit
