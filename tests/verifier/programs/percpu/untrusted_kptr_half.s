# SEC("tc")
# MAP: m array key=u32 value="struct mv { long sum; struct task_struct __kptr_untrusted *t; }"
# the same rule for an unreferenced kptr: the kernel calls it kptr_untrusted
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = m ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = *(u16 *)(r0 + 8)  # bug: 2 bytes of a kptr
out:
	r0 = 0
	exit
