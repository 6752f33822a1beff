# SEC("tc")
# TYPE: struct pv { long b; long c; long d; }
# TYPE: struct pw { long b; }
# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"
# a per-CPU object of another type: map_kptr_match_type() names both types
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r7 = r0
	r1 = 2
	r2 = 0
	call bpf_percpu_obj_new_impl
	if r0 == 0 goto out
	r6 = r0
	r1 = r7
	r1 += 8
	r2 = r6
	call bpf_kptr_xchg  # bug: a struct pw into a struct pv __percpu_kptr
	if r0 == 0 goto out
	r1 = r0
	r2 = 0
	call bpf_percpu_obj_drop_impl
out:
	r0 = 0
	exit
