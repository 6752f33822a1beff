# SEC("tc")
# TYPE: struct pv { long b; long c; long d; }
# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"
# what bpf_kptr_xchg takes out of a __percpu_kptr is a per-CPU object: bpf_obj_drop refuses it
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r7 = r0
	r1 = r7
	r1 += 8
	r2 = 0
	call bpf_kptr_xchg
	if r0 == 0 goto out
	r1 = r0
	r2 = 0
	call bpf_obj_drop_impl  # bug: needs bpf_percpu_obj_drop_impl
out:
	r0 = 0
	exit
