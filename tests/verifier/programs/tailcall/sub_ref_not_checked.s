# SEC("tc")
# MAP: jt prog_array key=u32 value=u32 max_entries=1
# check_reference_leak() skips references in a subprogram's frame: the tail call passes and
# the reference leaks at the main program's exit instead
	call sub
	r0 = 0
	exit                           # bug: the reference sub took is still held
sub:
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
	if r0 == 0 goto done
	r7 = r0
	r1 = r6
	r2 = jt ll
	r3 = 0
	call bpf_tail_call
	r1 = r7
	call bpf_sk_release
done:
	r0 = 0
	exit
