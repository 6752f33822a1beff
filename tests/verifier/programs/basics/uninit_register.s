# SEC("xdp")
# r3 read before anything wrote it
	r0 = r3                        # bug: r3 is not initialised at entry
	exit
