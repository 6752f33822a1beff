# SEC("socket")
# LICENSE("Proprietary")
# a non-GPL program that calls only a non-GPL helper loads
	call bpf_get_prandom_u32
	r0 = 0
	exit
