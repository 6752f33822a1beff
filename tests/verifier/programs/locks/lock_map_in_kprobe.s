# SEC("kprobe/do_nanosleep")
# MAP: vals array key=u32 value="struct val { struct bpf_spin_lock lock; u32 pad; u64 count; }"
# check_map_prog_compatibility(): tracing programs may not use a map whose value holds a
# bpf_spin_lock; the load is refused where the map is named, before verification
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = vals ll  # bug: a spin-lock map in a kprobe program
	call bpf_map_lookup_elem
	r0 = 0
	exit
