# SEC("socket")
# CAPS: -cap_perfmon, -cap_sys_admin
# MAP: scratch array key=u32 value=u64
# a stack address stored into a map value by a loader without CAP_PERFMON
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = scratch ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = r10
	*(u64 *)(r0 + 0) = r1          # bug: leaks the stack address into the map
out:
	r0 = 0
	exit
