# SEC("syscall")
# TYPE: struct sample { long sum; long count; }
# a 16-byte local object written at +16
	r1 = 1
	r2 = 0
	call bpf_obj_new_impl
	if r0 == 0 goto out
	r1 = 5
	*(u64 *)(r0 + 16) = r1         # bug: past the end of struct sample
	r1 = r0
	r2 = 0
	call bpf_obj_drop_impl
out:
	r0 = 0
	exit
