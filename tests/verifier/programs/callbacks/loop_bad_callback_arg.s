# SEC("tc")
# bpf_loop's second argument must be a callback, not a number
	r1 = 4
	r2 = 0  # bug: not a function
	r3 = 0
	r4 = 0
	call bpf_loop
	r0 = 0
	exit
