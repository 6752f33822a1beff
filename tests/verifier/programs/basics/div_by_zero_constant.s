# SEC("socket")
# division by the constant 0
	r0 = 8
	r0 /= 0                        # bug: the immediate divisor is zero
	exit
