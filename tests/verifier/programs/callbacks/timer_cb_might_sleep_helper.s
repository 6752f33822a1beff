# SEC("syscall")
# MAP: timers array key=u32 value="struct elem { struct bpf_timer t; }" max_entries=1
# bpf_copy_from_user might sleep: fine in the sleepable program, refused in its timer callback
	r1 = r10
	r1 += -16
	r2 = 16
	r3 = 4096
	call bpf_copy_from_user
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
	call bpf_copy_from_user  # bug: the timer callback cannot sleep
	r0 = 0
	exit
