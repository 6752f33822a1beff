# SEC("syscall")
# a freshly created cpumask released through a pointer advanced by 8 bytes
	call bpf_cpumask_create
	if r0 == 0 goto out
	r1 = r0
	r1 += 8                        # bug: release needs the pointer the kfunc returned
	call bpf_cpumask_release
out:
	r0 = 0
	exit
