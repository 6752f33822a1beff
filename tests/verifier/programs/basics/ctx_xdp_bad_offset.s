# SEC("xdp")
# xdp_md is 24 bytes; a read at +24 is past its end
	r0 = *(u32 *)(r1 + 24)         # bug: no field at +24
	r0 = 2
	exit
