// Loads of pointer members of bpf_obj_new objects (btf_struct_walk() on an allocated type):
// a pointer to a struct reads as a scalar, a pointer to anything else (an int, a struct only
// declared) as untrusted read-only memory; a pointer member is read whole or not at all.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_obj_drop_impl(void *kptr, void *meta) __ksym;
#define bpf_obj_new(T) ((T *)bpf_obj_new_impl(bpf_core_type_id_local(T), NULL))
#define bpf_obj_drop(p) bpf_obj_drop_impl(p, NULL)

struct opaque;                 /* declared only: BTF FWD */
struct pair { long a, b; };

struct holder {
	struct opaque *fwd;    /* WALK_PTR_UNTRUSTED */
	long *ip;              /* WALK_PTR_UNTRUSTED */
	struct pair *pp;       /* WALK_PTR: a scalar in an allocated object */
	long v;
};

long out;
struct pair used_pair;              /* so that BTF has the whole struct, not a FWD */

SEC("?tc")
int fwd_ptr_read_ok(void *ctx)
{
	struct holder *h = bpf_obj_new(struct holder);

	if (!h)
		return 0;
	out = *(volatile long *)h->fwd;    /* a probe read of untrusted memory */
	bpf_obj_drop(h);
	return 0;
}

SEC("?tc")
int int_ptr_write(void *ctx)
{
	struct holder *h = bpf_obj_new(struct holder);

	if (!h)
		return 0;
	*h->ip = 1;                        /* bug: the memory is read only */
	bpf_obj_drop(h);
	return 0;
}

SEC("?tc")
int int_ptr_to_percpu(void *ctx)
{
	struct holder *h = bpf_obj_new(struct holder);

	if (!h)
		return 0;
	bpf_this_cpu_ptr(h->ip);           /* bug: not a per-CPU pointer */
	bpf_obj_drop(h);
	return 0;
}

SEC("?tc")
int struct_ptr_is_scalar(void *ctx)
{
	struct holder *h = bpf_obj_new(struct holder);

	if (!h)
		return 0;
	out = h->pp->a;                    /* bug: the pointer read as a scalar */
	bpf_obj_drop(h);
	return 0;
}

SEC("?tc")
int ptr_member_half(void *ctx)
{
	struct holder *h = bpf_obj_new(struct holder);

	if (!h)
		return 0;
	out = *(volatile __u32 *)((void *)h + 20);   /* bug: half of the pp pointer */
	bpf_obj_drop(h);
	return 0;
}
