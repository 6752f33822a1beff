# SEC("tc")
# MAP: ro array key=u32 value=u64 max_entries=1 flags=128
# a helper may not write into a map the program may only read (BPF_F_RDONLY_PROG)
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = ro ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r4 = r0                        # bug: bpf_strtol writes its result here
	r1 = 0x3132
	*(u64 *)(r10 - 16) = r1
	r1 = r10
	r1 += -16
	r2 = 8
	r3 = 0
	call bpf_strtol
out:
	r0 = 0
	exit
