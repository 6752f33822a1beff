# SEC("tc")
# TYPE: struct pv { long b; long c; long d; }
# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"
# the loaded __percpu_kptr is per-CPU memory: it is read through bpf_per_cpu_ptr only
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r7 = r0
	r1 = *(u64 *)(r7 + 8)
	if r1 == 0 goto out
	r0 = *(u64 *)(r1 + 8)  # bug: direct read of per-CPU memory
out:
	r0 = 0
	exit
