# SEC("socket")
# the same uninitialised stack read by root: allowed (the value is an unknown scalar)
	r0 = *(u64 *)(r10 - 8)
	r0 = 0
	exit
