# SEC("tc")
# bpf_loop over a counter on the caller's stack: the callback's visits converge (widening)
	r1 = 0
	*(u64 *)(r10 -8) = r1
	r1 = 1000
	r2 = cb ll
	r3 = r10
	r3 += -8
	r4 = 0
	call bpf_loop
	r0 = 0
	exit
cb:
	r1 = *(u64 *)(r2 +0)
	r1 += 1
	*(u64 *)(r2 +0) = r1
	r0 = 0
	exit
