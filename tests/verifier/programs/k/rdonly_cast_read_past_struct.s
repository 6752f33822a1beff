# SEC("socket")
# bpf_rdonly_cast to struct cpumask (32 bytes) and a read at +32
	r1 = 0
	r2 = bpf_core_type_id_kernel(struct cpumask)
	call bpf_rdonly_cast
	r0 = *(u64 *)(r0 + 32)         # bug: cpumask ends at 32
	r0 = 0
	exit
