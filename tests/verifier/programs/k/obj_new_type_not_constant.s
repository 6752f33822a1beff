# SEC("syscall")
# TYPE: struct pair { long a; long b; }
# bpf_obj_new_impl with local_type_id__k from a random number
	call bpf_get_prandom_u32
	r1 = r0                        # bug: must be a known constant
	r2 = 0
	call bpf_obj_new_impl
	if r0 == 0 goto out
	r1 = r0
	r2 = 0
	call bpf_obj_drop_impl
out:
	r0 = 0
	exit
