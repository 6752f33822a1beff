# SEC("syscall")
# bpf_cpumask_populate(mask, src, src__sz) with an 8-byte bitmap on the stack
	call bpf_cpumask_create
	if r0 == 0 goto out
	r6 = r0
	r1 = 3
	*(u64 *)(r10 - 8) = r1
	r1 = r6
	r2 = r10
	r2 += -8
	r3 = 8
	call bpf_cpumask_populate
	r1 = r6
	call bpf_cpumask_release
out:
	r0 = 0
	exit
