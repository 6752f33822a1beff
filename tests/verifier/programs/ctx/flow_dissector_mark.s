# SEC("flow_dissector")
# a flow dissector sees data, data_end and flow_keys of the __sk_buff only
	r2 = *(u32 *)(r1 + 8)          # bug: mark
	r0 = 0
	exit
