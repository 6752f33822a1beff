# SEC("xdp")
# bpf_xdp_metadata_rx_hash is one of the XDP metadata kfuncs a device's driver replaces: the
# kernel accepts a call only in a program bound to a device (prog_ifindex), which a plain load
# is not; add_kfunc_call() refuses it before any path is walked
	r6 = r1
	r1 = r6
	r2 = r10
	r2 += -8
	r3 = r10
	r3 += -16
	call bpf_xdp_metadata_rx_hash    # bug: needs a device-bound program
	r0 = 2
	exit
