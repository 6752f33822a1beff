# SEC("tracepoint/syscalls/sys_enter_nanosleep")
# check_get_func_ip(): bpf_get_func_ip() is for kprobes and trampolines, not tracepoints
	call bpf_get_func_ip           # bug: a tracepoint program
	r0 = 0
	exit
