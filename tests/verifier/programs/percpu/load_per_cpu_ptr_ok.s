# SEC("tc")
# TYPE: struct pv { long b; long c; long d; }
# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"
# loading the __percpu_kptr gives percpu_rcu_ptr_or_null_pv (a tc program runs in an RCU
# critical section); bpf_per_cpu_ptr of it is one CPU's struct pv, maybe NULL, writable
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r7 = r0
	r1 = *(u64 *)(r7 + 8)
	if r1 == 0 goto out
	r2 = 0
	call bpf_per_cpu_ptr
	if r0 == 0 goto out
	r1 = 1
	*(u64 *)(r0 + 8) = r1
out:
	r0 = 0
	exit
