# SEC("tc")
# ARG_PTR_TO_MEM | MEM_RDONLY reads the bytes; a privileged loader may read stack never written
	r1 = r10
	r1 += -16
	r2 = 16
	r3 = 0
	r4 = 0
	r5 = 0
	call bpf_csum_diff             # fine for CAP_PERFMON (allow_uninit_stack)
	r0 = 0
	exit
