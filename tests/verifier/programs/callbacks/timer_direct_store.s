# SEC("tc")
# MAP: timers hash key=u32 value="struct elem { u64 hits; struct bpf_timer t; }" max_entries=4
# a store into the map value's bpf_timer
	r1 = 0
	*(u32 *)(r10 -4) = r1
	r1 = timers ll
	r2 = r10
	r2 += -4
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = 0
	*(u64 *)(r0 +16) = r1  # bug: inside the timer
out:
	r0 = 0
	exit
