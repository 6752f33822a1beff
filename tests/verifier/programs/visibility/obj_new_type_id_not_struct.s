# SEC("syscall")
# TYPE: struct sample { long sum; long count; }
# type id 2 of the program BTF is not struct sample (id 1)
	r1 = 2                         # bug: not the struct's id
	r2 = 0
	call bpf_obj_new_impl
	if r0 == 0 goto out
	r1 = r0
	r2 = 0
	call bpf_obj_drop_impl
out:
	r0 = 0
	exit
