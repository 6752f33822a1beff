# SEC("socket")
# CAPS: -cap_perfmon, -cap_sys_admin
# bpf_base_func_proto() gives bpf_copy_from_user() only to a loader with CAP_PERFMON
	r1 = r10
	r1 += -8
	r2 = 8
	r3 = 0
	call bpf_copy_from_user        # bug: the loader dropped CAP_PERFMON
	r0 = 0
	exit
