# SEC("tc")
# a bpf_loop callback that runs bpf_loop itself: two callback frames deep
	r1 = 3
	r2 = outer ll
	r3 = 0
	r4 = 0
	call bpf_loop
	r0 = 0
	exit
outer:
	r1 = 3
	r2 = inner ll
	r3 = 0
	r4 = 0
	call bpf_loop
	r0 = 0
	exit
inner:
	r0 = 1
	exit
