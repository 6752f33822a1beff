# SEC("kprobe/do_nanosleep")
# MAP: locks array key=u32 value="struct val { struct bpf_spin_lock lock; u32 n; }"
# tracing programs may not use a map whose value holds a bpf_spin_lock (checked at load)
	r0 = 0
	if r0 == 0 goto out
	r1 = locks ll                  # bug: even in dead code, the map is refused
out:
	r0 = 0
	exit
