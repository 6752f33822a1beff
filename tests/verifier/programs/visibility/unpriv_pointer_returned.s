# SEC("socket")
# CAPS: -cap_perfmon, -cap_sys_admin
# the frame pointer returned as the program's result, which would leak a kernel address
	r0 = r10                       # bug: pointer leak without CAP_PERFMON
	exit
