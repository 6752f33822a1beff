# SEC("perf_event")
# the saved registers of bpf_perf_event_data are read as whole u64s
	r2 = *(u32 *)(r1 + 168)        # sample_period: a narrow load is fine
	r3 = *(u32 *)(r1 + 8)          # bug: half a register
	r0 = 0
	exit
