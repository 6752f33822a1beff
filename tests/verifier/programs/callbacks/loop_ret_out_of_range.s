# SEC("tc")
# bpf_loop's callback must return 0 (go on) or 1 (stop); this one returns 2
	r1 = 4
	r2 = cb ll
	r3 = 0
	r4 = 0
	call bpf_loop
	r0 = 0
	exit
cb:
	r0 = 2  # bug: out of [0, 1]
	exit
