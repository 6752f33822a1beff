# SEC("tc")
# TYPE: struct pv { long b; long c; long d; }
# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"
# a load whose variable offset may reach the kptr field is refused
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r7 = r0
	r1 = *(u32 *)(r7 + 0)
	r1 &= 8
	r7 += r1
	r0 = *(u64 *)(r7 + 0)  # bug: offset 0 or 8, the kptr at 8
out:
	r0 = 0
	exit
