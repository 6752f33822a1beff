# SEC("tc")
# MAP: pcpu percpu_array key=u32 value=u64 max_entries=4
# ARG_PTR_TO_MAP_KEY: key_size bytes are read, and they must lie inside the stack
	r1 = 0
	*(u16 *)(r10 - 2) = r1
	r2 = r10
	r2 += -2                       # bug: a 4-byte key at fp-2 runs past the frame
	r1 = pcpu ll
	r3 = 0
	call bpf_map_lookup_percpu_elem
	r0 = 0
	exit
