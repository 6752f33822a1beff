# SEC("kprobe/do_nanosleep")
# bpf_task_from_pid is registered for tracing, tc, xdp, struct_ops, syscall and cgroup hooks,
# and kprobe programs have a hook of their own
	r1 = 1
	call bpf_task_from_pid         # bug: not registered for BPF_PROG_TYPE_KPROBE
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
