# SEC("kprobe/do_nanosleep")
# MAP: timers hash key=u32 value="struct elem { u64 hits; struct bpf_timer t; }" max_entries=4
# a kprobe program may not use a map with a bpf_timer
	r1 = 0
	*(u32 *)(r10 -4) = r1
	r1 = timers ll
	r2 = r10
	r2 += -4
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r0 = *(u64 *)(r0 +0)  # bug: the map alone is refused
out:
	r0 = 0
	exit
