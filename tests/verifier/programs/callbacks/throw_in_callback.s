# SEC("tc")
# bpf_throw inside a bpf_loop callback
	r1 = 1
	r2 = cb ll
	r3 = 0
	r4 = 0
	call bpf_loop
	r0 = 0
	exit
cb:
	r1 = 0
	call bpf_throw  # bug: not from a callback
	r0 = 0
	exit
