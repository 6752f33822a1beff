# SEC("xdp")
# the cpumask kfuncs are registered for tracing, struct_ops and syscall only
	call bpf_cpumask_create        # bug: not for XDP
	if r0 == 0 goto out
	r1 = r0
	call bpf_cpumask_release
out:
	r0 = 2
	exit
