# SEC("syscall")
# MAP: timers array key=u32 value="struct elem { struct bpf_timer t; }" max_entries=1
# a sleepable program may call a KF_SLEEPABLE kfunc, its timer callback may not: the
# callback is verified from push_async_cb() with in_sleepable false
	r1 = r10
	r1 += -16
	r2 = 16
	r3 = 4096
	r4 = 0
	call bpf_copy_from_user_str
	r1 = 0
	*(u32 *)(r10 -4) = r1
	r1 = timers ll
	r2 = r10
	r2 += -4
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r6 = r0
	r1 = r6
	r2 = timers ll
	r3 = 1
	call bpf_timer_init
	r1 = r6
	r2 = cb ll
	call bpf_timer_set_callback
out:
	r0 = 0
	exit
cb:
	r1 = r10
	r1 += -16
	r2 = 16
	r3 = 4096
	r4 = 0
	call bpf_copy_from_user_str  # bug: the timer callback cannot sleep
	r0 = 0
	exit
