# SEC("tc")
# bpf_obj_new_impl in a file without TYPE: lines: the program is loaded without BTF
	r1 = 1
	r2 = 0
	call bpf_obj_new_impl          # bug: no program BTF for local_type_id__k to index
	if r0 == 0 goto out
	r1 = r0
	r2 = 0
	call bpf_obj_drop_impl
out:
	r0 = 0
	exit
