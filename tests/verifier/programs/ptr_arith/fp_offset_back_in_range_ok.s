# SEC("syscall")
# a fixed offset just under 2^29 is allowed; taking it back below fp, in steps each under
# 2^29, makes a usable pointer again
	r1 = r10
	r2 = 0x1fffffff
	r1 += r2  # fp+536870911: sane, though not dereferenceable
	r2 = -0x10000000
	r1 += r2
	r2 = -0x10000007
	r1 += r2  # fp-8
	r3 = 0
	*(u64 *)(r1 + 0) = r3
	r0 = 0
	exit
