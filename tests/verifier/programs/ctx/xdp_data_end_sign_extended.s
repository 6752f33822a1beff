# SEC("xdp")
# xdp_md->data_end is loaded as a packet end pointer, never sign-extended
	r2 = *(s32 *)(r1 + 4)          # bug: data_end with BPF_MEMSX
	r0 = 2
	exit
