# SEC("tc")
# the callback never sets R0
	r1 = 2
	r2 = cb ll
	r3 = 0
	r4 = 0
	call bpf_loop
	r0 = 0
	exit
cb:
	r1 = 0
	exit  # bug: R0 was never set
