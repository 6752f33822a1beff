# SEC("tp_btf/task_newtask")
# CAPS: -cap_perfmon, -cap_sys_admin
# tracing programs need CAP_PERFMON: the load is refused before the verifier runs
	r0 = 0                         # bug: loaded without CAP_PERFMON, refused before verifying
	exit
