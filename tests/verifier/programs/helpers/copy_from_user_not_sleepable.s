# SEC("kprobe/do_nanosleep")
# bpf_copy_from_user() may sleep (might_sleep): only a sleepable program may call it
	r1 = r10
	r1 += -8
	r2 = 8
	r3 = 0
	call bpf_copy_from_user        # bug: a kprobe is not sleepable
	r0 = 0
	exit
