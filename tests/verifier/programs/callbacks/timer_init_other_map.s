# SEC("tc")
# MAP: timers hash key=u32 value="struct elem { u64 hits; struct bpf_timer t; }" max_entries=4
# MAP: others hash key=u32 value="struct elem2 { u64 hits; struct bpf_timer t; }" max_entries=4
# bpf_timer_init with a map that is not the timer's own
	r1 = 0
	*(u32 *)(r10 -4) = r1
	r1 = timers ll
	r2 = r10
	r2 += -4
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = r0
	r1 += 8
	r2 = others ll  # bug: the timer lives in timers
	r3 = 0
	call bpf_timer_init
out:
	r0 = 0
	exit
