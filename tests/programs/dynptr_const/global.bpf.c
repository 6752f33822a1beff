// A global function's struct bpf_dynptr * argument is a const dynptr (CONST_PTR_TO_DYNPTR,
// assumed LOCAL): kfuncs take it as KF_ARG_PTR_TO_DYNPTR | MEM_RDONLY.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt,
			      __u32 buffer__szk) __ksym;
extern void *bpf_dynptr_slice_rdwr(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt,
				   __u32 buffer__szk) __ksym;
extern int bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit) __ksym;
extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;

__weak int slice_ok(struct bpf_dynptr *dptr)
{
	long *d, buf[1] = {};

	d = bpf_dynptr_slice(dptr, 0, &buf, sizeof(long));
	return d ? *d & 1 : 0;
}

__weak int slice_unchecked(struct bpf_dynptr *dptr)
{
	long *d, buf[1] = {};

	d = bpf_dynptr_slice(dptr, 0, &buf, sizeof(long));
	return *d & 1;                     /* bug: the slice may be NULL */
}

__weak int slice_write(struct bpf_dynptr *dptr)
{
	long *d, buf[1] = {};

	d = bpf_dynptr_slice(dptr, 0, &buf, sizeof(long));
	if (d)
		*d = 1;                    /* bug: bpf_dynptr_slice's memory is read only */
	return 0;
}

__weak int clone_ok(struct bpf_dynptr *dptr)
{
	struct bpf_dynptr copy;
	long *d, buf[1] = {};

	bpf_dynptr_clone(dptr, &copy);
	d = bpf_dynptr_slice(&copy, 0, &buf, sizeof(long));
	return d ? *d & 1 : 0;
}

__weak int clone_into_const(struct bpf_dynptr *dptr)
{
	struct bpf_dynptr local;

	bpf_dynptr_clone(dptr, &local);
	bpf_dynptr_clone(&local, dptr);    /* bug: a const dynptr as the __uninit clone */
	return 0;
}

#define CALLER(name)						\
SEC("?xdp")							\
int call_##name(struct xdp_md *ctx)				\
{								\
	struct bpf_dynptr dptr;					\
								\
	bpf_dynptr_from_xdp(ctx, 0, &dptr);			\
	return name(&dptr);					\
}

CALLER(slice_ok)
CALLER(slice_unchecked)
CALLER(slice_write)
CALLER(clone_ok)
CALLER(clone_into_const)
