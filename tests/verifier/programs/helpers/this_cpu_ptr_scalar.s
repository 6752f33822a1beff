# SEC("tc")
# bpf_this_cpu_ptr takes a per-cpu kernel pointer (ARG_PTR_TO_PERCPU_BTF_ID): plain, RCU or
# trusted; check_reg_type() refuses a scalar naming the three it takes
	call bpf_ktime_get_ns
	r1 = r0
	call bpf_this_cpu_ptr          # bug: r1 is a number, not a per-cpu pointer
	r0 = 0
	exit
