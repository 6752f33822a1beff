# SEC("syscall")
# if r0 != 0 jumps to the use; the fall-through is the NULL case and just exits
	r1 = 1
	call bpf_cgroup_from_id
	if r0 != 0 goto use
	r0 = 0
	exit
use:
	r1 = r0
	call bpf_cgroup_release
	r0 = 0
	exit
