# SEC("flow_dissector")
# the flow dissector writes what it finds into flow_keys
	r2 = *(u64 *)(r1 + 144)
	r3 = 34
	*(u16 *)(r2 + 0) = r3          # nhoff
	r3 = *(u32 *)(r2 + 52)         # flow_label, the last field
	r0 = 0
	exit
