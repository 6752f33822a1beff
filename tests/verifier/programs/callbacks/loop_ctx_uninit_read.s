# SEC("tc")
# the callback reads its context (the caller's stack) before anything wrote it
	r1 = 2
	r2 = cb ll
	r3 = r10
	r3 += -8
	r4 = 0
	call bpf_loop
	r0 = 0
	exit
cb:
	r0 = *(u64 *)(r2 +0)  # fp-8 of frame 0 was never written
	r0 = 0
	exit
