# SEC("tc")
# bpf_throw on one path, a normal exit on the other
	call bpf_get_prandom_u32
	if r0 != 0 goto out
	r1 = 0
	call bpf_throw
out:
	r0 = 0
	exit
