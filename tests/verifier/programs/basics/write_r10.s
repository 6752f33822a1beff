# SEC("socket")
# the frame pointer overwritten
	r10 = 0                        # bug: r10 is read only
	r0 = 0
	exit
