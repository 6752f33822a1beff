# SEC("syscall")
# TYPE: struct sample { long sum; long count; }
# a local object allocated (type id 1), written, and dropped
	r1 = 1
	r2 = 0
	call bpf_obj_new_impl
	if r0 == 0 goto out
	r1 = 5
	*(u64 *)(r0 + 8) = r1
	r1 = r0
	r2 = 0
	call bpf_obj_drop_impl
out:
	r0 = 0
	exit
