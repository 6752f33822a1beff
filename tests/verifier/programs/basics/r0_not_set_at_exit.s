# SEC("xdp")
# exit without setting the return value
	r1 = 0
	exit                           # bug: R0 never written
