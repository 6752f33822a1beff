# SEC("tc")
# TYPE: struct pair { long a; long b; }
# the callback allocates an object and never drops it: the leak shows at main's exit
	r1 = 1
	r2 = cb ll
	r3 = 0
	r4 = 0
	call bpf_loop
	r0 = 0
	exit
cb:
	r1 = 1
	r2 = 0
	call bpf_obj_new_impl  # leak
	r0 = 0
	exit
