# SEC("cgroup/sysctl")
# bpf_sysctl: write is read only, file_pos may be set
	r2 = *(u8 *)(r1 + 0)
	r2 = 0
	*(u32 *)(r1 + 4) = r2
	r0 = 1
	exit
