# SEC("socket")
# CAPS: -cap_perfmon, -cap_sys_admin
# two pointers compared by a loader without CAP_PERFMON
	r1 = r10
	r2 = r10
	r2 += -8
	if r1 > r2 goto out            # bug: pointer comparison prohibited
	r0 = 1
out:
	r0 = 0
	exit
