# SEC("tc")
# every state printed inside a bpf_loop callback ends with " cb" (in_callback_fn); the
# callback then dereferences its scalar index and is refused
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
	r0 = *(u32 *)(r1 +0)  # R1 is the loop index, a scalar
	r0 = 0
	exit
