# SEC("tc")
# TYPE: struct pv { long b; long c; long d; }
# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"
# the loaded percpu_rcu_ptr_pv is no object the program owns: bpf_kptr_xchg's R2 refuses it
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r7 = r0
	r6 = *(u64 *)(r7 + 8)
	if r6 == 0 goto out
	r1 = r7
	r1 += 8
	r2 = r6
	call bpf_kptr_xchg  # bug: an RCU per-CPU pointer is not a referenced object
	if r0 == 0 goto out
	r1 = r0
	r2 = 0
	call bpf_percpu_obj_drop_impl
out:
	r0 = 0
	exit
