# SEC("tc")
# TYPE: struct sample { long sum; long count; }
# a local object allocated and never dropped
	r1 = 1
	r2 = 0
	call bpf_obj_new_impl
	if r0 == 0 goto out
	r1 = 1
	*(u64 *)(r0 + 0) = r1          # leak: no bpf_obj_drop_impl
out:
	r0 = 0
	exit
