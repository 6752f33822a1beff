# SEC("cgroup/connect4")
# bpf_bind(ctx, addr, len) in a connect4 program: the address is read from the stack
	r2 = 0
	*(u64 *)(r10 - 8) = r2
	*(u64 *)(r10 - 16) = r2
	r2 = r10
	r2 += -16
	r3 = 16
	call bpf_bind
	r0 = 1
	exit
