# SEC("tc")
# TYPE: struct pv { long b; long c; long d; }
# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"
# an atomic instruction on a kptr field is refused (check_map_kptr_access(): BPF_MEM only)
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = 1
	lock *(u64 *)(r0 + 8) += r1  # bug: atomic add on the __percpu_kptr
out:
	r0 = 0
	exit
