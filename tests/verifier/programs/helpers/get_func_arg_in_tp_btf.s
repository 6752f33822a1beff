# SEC("tp_btf/sys_enter")
# bpf_get_func_arg() needs a trampoline (fentry/fexit/fmod_ret/lsm): a tp_btf program has none
	r2 = 0
	r3 = r10
	r3 += -8
	call bpf_get_func_arg          # bug: bpf_prog_has_trampoline() is false
	r0 = 0
	exit
