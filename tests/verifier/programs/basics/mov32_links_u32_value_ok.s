# SEC("socket")
# w3 = w2 of a value known to fit 32 bits gives both registers one id
# (assign_scalar_id_before_mov()), so "if w2 < 9" bounds r3 too and "if r3 < 9" is decided:
# the read of the clobbered r1 after it is never reached
	call bpf_ktime_get_ns
	*(u64 *)(r10 - 8) = r0
	r2 = *(u32 *)(r10 - 8)
	w3 = w2
	if w2 < 9 goto l0
	exit
l0:
	if r3 < 9 goto l1
	r0 -= r1  # unreachable: r1 was clobbered by the call
l1:
	exit
