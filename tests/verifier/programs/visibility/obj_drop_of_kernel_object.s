# SEC("syscall")
# bpf_obj_drop_impl given a task reference instead of a local object
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r6 = r0
	r1 = r0
	r2 = 0
	call bpf_obj_drop_impl         # bug: not an allocated local object
	r1 = r6
	call bpf_task_release
out:
	r0 = 0
	exit
