# SEC("syscall")
# CAPS: -cap_sys_boot
# without CAP_SYS_BOOT only KF_DESTRUCTIVE kfuncs are refused; this kernel's BTF has none
# (crash_kexec is absent), so an ordinary acquire/release loads
	r1 = 1
	call bpf_task_from_pid
	if r0 == 0 goto out
	r1 = r0
	call bpf_task_release
out:
	r0 = 0
	exit
