# SEC("tc")
# a sign-extending load (BPF_MEMSX) may read a scalar field, never a packet pointer
	r3 = *(s16 *)(r1 + 48)         # cb[0], sign-extended: fine
	r2 = *(s32 *)(r1 + 76)         # bug: data, sign-extended
	r0 = 0
	exit
