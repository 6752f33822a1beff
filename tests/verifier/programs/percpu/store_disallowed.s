# SEC("tc")
# TYPE: struct pv { long b; long c; long d; }
# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"
# a __percpu_kptr is referenced: a plain store into it is refused
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r7 = r0
	r1 = 0
	*(u64 *)(r7 + 8) = r1  # bug: store to a referenced kptr
out:
	r0 = 0
	exit
