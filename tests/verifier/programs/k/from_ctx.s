# SEC("tc")
# btf_id__k read from the packet's __sk_buff->mark
	r2 = *(u32 *)(r1 + 8)          # bug: a ctx field is not a known constant
	r1 = 0
	call bpf_rdonly_cast
	r0 = 0
	exit
