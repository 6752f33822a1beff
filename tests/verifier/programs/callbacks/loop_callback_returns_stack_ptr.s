# SEC("tc")
# the callback returns its context pointer
	r1 = 2
	r2 = cb ll
	r3 = r10
	r3 += -8
	r4 = 0
	call bpf_loop
	r0 = 0
	exit
cb:
	r0 = r2  # bug: a pointer into the caller's stack
	exit
