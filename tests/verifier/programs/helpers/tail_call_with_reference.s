# SEC("tc")
# MAP: progs prog_array key=u32 value=u32 max_entries=2
# a tail call never returns to release what the program holds
	r6 = r1
	r2 = 0
	*(u64 *)(r10 - 8) = r2
	*(u64 *)(r10 - 16) = r2
	*(u64 *)(r10 - 24) = r2
	*(u64 *)(r10 - 32) = r2
	*(u64 *)(r10 - 40) = r2
	r2 = r10
	r2 += -40
	r3 = 36
	r4 = 0
	r5 = 0
	call bpf_sk_lookup_tcp
	if r0 == 0 goto out
	r7 = r0
	r1 = r6
	r2 = progs ll
	r3 = 0
	call bpf_tail_call             # bug: the socket reference is still held
	r1 = r7
	call bpf_sk_release
out:
	r0 = 0
	exit
