# SEC("xdp")
# r2 read after a helper call clobbered r1-r5
	r2 = 1
	call bpf_get_prandom_u32
	r0 = r2                        # bug: calls leave r1-r5 uninitialised
	exit
