# SEC("socket")
# CAPS: -cap_perfmon, -cap_sys_admin
# an 8-byte stack slot read before it was written, by a loader without CAP_PERFMON
	r0 = *(u64 *)(r10 - 8)         # bug: uninitialised stack without allow_uninit_stack
	r0 = 0
	exit
