# SEC("flow_dissector")
# struct bpf_flow_keys is 56 bytes
	r2 = *(u64 *)(r1 + 144)
	r3 = *(u64 *)(r2 + 52)         # bug: reads past the end of flow_keys
	r0 = 0
	exit
