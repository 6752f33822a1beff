# SEC("tc")
# MAP: timers hash key=u32 value="struct elem { struct bpf_timer t; }" max_entries=4
# the timer callback returns 1: async callbacks return 0
	r1 = 0
	*(u32 *)(r10 -4) = r1
	r1 = timers ll
	r2 = r10
	r2 += -4
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r1 = r0
	r2 = cb ll
	call bpf_timer_set_callback
out:
	r0 = 0
	exit
cb:
	r0 = 1  # bug: a timer callback returns 0
	exit
