# SEC("tc")
# MAP: m array key=u32 value="struct mv { long sum; struct task_struct __kptr_untrusted *pc; }"
# the same for an unreferenced kptr: an atomic add is no BPF_MEM load or store
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = 1
	lock *(u64 *)(r0 + 8) += r1  # bug: atomic add on a __kptr_untrusted
out:
	r0 = 0
	exit
