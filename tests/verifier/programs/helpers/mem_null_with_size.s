# SEC("tc")
# PTR_MAYBE_NULL memory may be NULL only with a zero size
	r1 = 0
	r2 = 8                         # bug: NULL with 8 bytes
	r3 = 0
	r4 = 0
	r5 = 0
	call bpf_csum_diff
	r0 = 0
	exit
