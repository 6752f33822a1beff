# SEC("syscall")
# TYPE: struct pv { long b; long c; long d; }
# MAP: m array key=u32 value="struct mv { long sum; struct pv __percpu_kptr *pc; }"
# a syscall program sleeps: outside bpf_rcu_read_lock the object moved into the map is gone
# from the program (its register is invalidated), so bpf_this_cpu_ptr sees a scalar
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
	call bpf_this_cpu_ptr  # bug: r6 was moved into the map
out:
	r0 = 0
	exit
