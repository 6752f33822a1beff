# SEC("tc")
# TYPE: struct pair { long a; long b; }
# bpf_throw while an allocated object is still owned
	r1 = 1
	r2 = 0
	call bpf_obj_new_impl
	if r0 == 0 goto out
	r1 = 0
	call bpf_throw  # leak
out:
	r0 = 0
	exit
