# SEC("tc")
# every state printed inside a bpf_loop callback ends with " cb" (in_callback_fn)
	r1 = 2
	r2 = cb ll
	r3 = r10
	r3 += -8
	r4 = 0
	call bpf_loop
	r0 = 0
	exit
cb:
	r6 = r2
	r0 = *(u64 *)(r6 +0)  # fp-8 of frame 0 was never written
	r0 = 0
	exit
