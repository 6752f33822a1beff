# SEC("syscall")
# LICENSE("Proprietary")
# kfuncs need a GPL-compatible license
	r1 = 1
	call bpf_task_from_pid         # bug: non-GPL program
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
