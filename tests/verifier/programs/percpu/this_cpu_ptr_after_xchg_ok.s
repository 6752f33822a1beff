# SEC("tc")
# TYPE: struct pv { long b; long c; long d; }
# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"
# in an RCU critical section the object moved into the map stays usable without a reference,
# as percpu_rcu_ptr_pv: bpf_this_cpu_ptr of it gives this CPU's copy (never NULL)
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
	r1 += 8
	r2 = r6
	call bpf_kptr_xchg
	if r0 == 0 goto this_cpu
	r1 = r0
	r2 = 0
	call bpf_percpu_obj_drop_impl
this_cpu:
	r1 = r6
	call bpf_this_cpu_ptr
	r1 = 3
	*(u64 *)(r0 + 16) = r1
out:
	r0 = 0
	exit
