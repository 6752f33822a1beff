# SEC("socket")
# bpf_rdonly_cast to struct cpumask (id 256, 32 bytes) and a read at +32
	r1 = 0
	r2 = 256
	call bpf_rdonly_cast
	r0 = *(u64 *)(r0 + 32)         # bug: cpumask ends at 32
	r0 = 0
	exit
