# SEC("tc")
# MAP: events hash key=u32 value=u32 max_entries=4
# bpf_perf_event_output() needs a perf_event_array map (check_map_func_compatibility)
	r2 = 0
	*(u64 *)(r10 - 8) = r2
	r4 = r10
	r4 += -8
	r2 = events ll                 # bug: a hash map
	r3 = 0
	r5 = 8
	call bpf_perf_event_output
	r0 = 0
	exit
