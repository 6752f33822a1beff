# SEC("tc")
# MAP: timers hash key=u32 value="struct elem { u64 hits; struct bpf_timer t; }" max_entries=4
# a timer in a map value: initialised, given a callback, started; the callback counts hits
	r1 = 0
	*(u32 *)(r10 -4) = r1
	r1 = timers ll
	r2 = r10
	r2 += -4
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r6 = r0
	r6 += 8
	r1 = r6
	r2 = timers ll
	r3 = 0
	call bpf_timer_init
	r1 = r6
	r2 = cb ll
	call bpf_timer_set_callback
	r1 = r6
	r2 = 1000
	r3 = 0
	call bpf_timer_start
out:
	r0 = 0
	exit
cb:
	r1 = *(u64 *)(r3 +0)
	r1 += 1
	*(u64 *)(r3 +0) = r1
	r0 = 0
	exit
