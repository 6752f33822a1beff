# SEC("tc")
# TYPE: struct pv { long b; long c; long d; }
# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"
# an 8-byte load that starts inside sum and ends inside pc touches the kptr off its start
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r7 = r0
	r1 = *(u64 *)(r7 + 4)  # bug: bytes 4..11 overlap the __percpu_kptr at 8
out:
	r0 = 0
	exit
