# SEC("tc")
# TYPE: struct pair { long a; long b; }
# MAP: timers hash key=u32 value="struct elem { u64 hits; struct bpf_timer t; }" max_entries=4
# the timer callback allocates an object and never drops it
	r1 = 0
	*(u32 *)(r10 -4) = r1
	r1 = timers ll
	r2 = r10
	r2 += -4
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = r0
	r1 += 8
	r2 = cb ll
	call bpf_timer_set_callback
out:
	r0 = 0
	exit
cb:
	r1 = 1
	r2 = 0
	call bpf_obj_new_impl  # leak
	r0 = 0
	exit
