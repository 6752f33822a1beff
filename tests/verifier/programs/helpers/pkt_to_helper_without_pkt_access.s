# SEC("tc")
# a helper whose bpf_func_proto lacks .pkt_access may not be given packet pointers
	r2 = *(u32 *)(r1 + 76)         # data
	r3 = *(u32 *)(r1 + 80)         # data_end
	r4 = r2
	r4 += 8
	if r4 > r3 goto out
	r1 = r2                        # bug: bpf_strncmp has no .pkt_access
	r2 = 4
	r3 = 0
	call bpf_strncmp
out:
	r0 = 0
	exit
