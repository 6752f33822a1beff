# SEC("syscall")
# bpf_percpu_obj_new_impl in a file with no TYPE: line, so the program has no BTF
	r1 = 1
	r2 = 0
	call bpf_percpu_obj_new_impl   # bug: no program BTF to take the type from
	if r0 == 0 goto out
	r1 = r0
	r2 = 0
	call bpf_percpu_obj_drop_impl
out:
	r0 = 0
	exit
