# SEC("syscall")
# TYPE: struct pv { long b; long c; long d; }
# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"
# in bpf_rcu_read_lock a sleepable program loads the __percpu_kptr as percpu_rcu_ptr_or_null_pv
# and reaches this CPU's copy
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r7 = r0
	call bpf_rcu_read_lock
	r1 = *(u64 *)(r7 + 8)
	if r1 == 0 goto unlock
	call bpf_this_cpu_ptr
	r1 = 1
	*(u64 *)(r0 + 0) = r1
unlock:
	call bpf_rcu_read_unlock
out:
	r0 = 0
	exit
