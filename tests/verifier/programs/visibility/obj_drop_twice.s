# SEC("syscall")
# TYPE: struct sample { long sum; long count; }
# a local object dropped twice through a copy
	r1 = 1
	r2 = 0
	call bpf_obj_new_impl
	if r0 == 0 goto out
	r6 = r0
	r1 = r0
	r2 = 0
	call bpf_obj_drop_impl
	r1 = r6                        # bug: r6 died with the first drop
	r2 = 0
	call bpf_obj_drop_impl
out:
	r0 = 0
	exit
