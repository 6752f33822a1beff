# SEC("socket")
# x s>> 63 is -1 or 0; `&= 12` splits the two (maybe_fork_scalars): both offsets stay on the stack
	call bpf_get_prandom_u32
	r0 <<= 32
	r0 s>>= 63
	r0 &= 12
	r1 = r10
	r1 += -16
	r1 += r0
	r2 = *(u32 *)(r1 + 0)
	r0 = 0
	exit
