# SEC("kprobe/do_nanosleep")
# bpf_probe_read_kernel() writes fp-16 (MEM_UNINIT): check_helper_call() writes it byte by byte
# with check_mem_access(), so the slot is scratched and printed after the call
	r1 = r10
	r1 += -16
	r2 = 8
	r3 = 0
	call bpf_probe_read_kernel
	r0 = *(u64 *)(r0 +0)  # R0 is a scalar
	exit
