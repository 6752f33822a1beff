# SEC("tc")
# TYPE: struct pv { long b; long c; long d; }
# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"
# a per-CPU object moves into the map's __percpu_kptr with bpf_kptr_xchg; the old one
# that comes out (MEM_ALLOC | MEM_PERCPU, maybe NULL) is dropped
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r7 = r0
	r1 = 1
	r2 = 0
	call bpf_percpu_obj_new_impl
	if r0 == 0 goto out
	r6 = r0
	r1 = r7
	r1 += 8  # &mv->pc
	r2 = r6
	call bpf_kptr_xchg
	if r0 == 0 goto out
	r1 = r0
	r2 = 0
	call bpf_percpu_obj_drop_impl
out:
	r0 = 0
	exit
