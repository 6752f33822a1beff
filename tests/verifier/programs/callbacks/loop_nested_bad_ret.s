# SEC("tc")
# the inner callback of nested bpf_loop calls returns an unknown value
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
	call bpf_get_prandom_u32  # bug: any u32, not 0 or 1
	exit
