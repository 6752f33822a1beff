# SEC("tc")
# MAP: pcpu percpu_array key=u32 value=u64 max_entries=4
# bpf_map_lookup_percpu_elem() returns map_value_or_null like bpf_map_lookup_elem()
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = pcpu ll
	r3 = 0
	call bpf_map_lookup_percpu_elem
	if r0 == 0 goto out
	r0 = *(u64 *)(r0 + 0)
out:
	r0 = 0
	exit
