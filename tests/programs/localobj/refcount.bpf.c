// Refcounted bpf_obj_new objects: a __kptr to one in a map value loads as an RCU-protected,
// non-owning, maybe-NULL reference (btf_ld_kptr_type()), which bpf_refcount_acquire turns into
// an owning one (KF_ARG_PTR_TO_REFCOUNTED_KPTR).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_obj_drop_impl(void *kptr, void *meta) __ksym;
extern void *bpf_refcount_acquire_impl(void *kptr, void *meta) __ksym;
#define bpf_obj_new(T) ((T *)bpf_obj_new_impl(bpf_core_type_id_local(T), NULL))
#define bpf_obj_drop(p) bpf_obj_drop_impl(p, NULL)
#define bpf_refcount_acquire(p) ((typeof(p))bpf_refcount_acquire_impl(p, NULL))

struct counted {
	long data;
	struct bpf_rb_node node;
	struct bpf_refcount ref;
};

struct plain {
	long data;
};

struct stash {
	struct counted __kptr *c;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, int);
	__type(value, struct stash);
	__uint(max_entries, 1);
} stashes SEC(".maps");

struct counted *btf_counted;  /* the whole struct in BTF, not a FWD */
struct plain *btf_plain;

SEC("tc")
int acquire_stashed_ok(void *ctx)
{
	struct counted *c, *p;
	int key = 0;
	long v = 0;
	struct stash *s = bpf_map_lookup_elem(&stashes, &key);

	if (!s)
		return 0;
	c = s->c;
	if (!c)
		return 0;
	v = c->data;                      /* read through the RCU-protected pointer */
	p = bpf_refcount_acquire(c);
	if (!p)
		return 0;
	v += p->data;
	bpf_obj_drop(p);
	return v & 1;
}

SEC("tc")
int acquire_stashed_leak(void *ctx)
{
	struct counted *c, *p;
	int key = 0;
	struct stash *s = bpf_map_lookup_elem(&stashes, &key);

	if (!s)
		return 0;
	c = s->c;
	if (!c)
		return 0;
	p = bpf_refcount_acquire(c);      /* bug: never dropped */
	return p ? 1 : 0;
}

SEC("tc")
int acquire_stashed_maybe_null(void *ctx)
{
	struct counted *p;
	int key = 0;
	struct stash *s = bpf_map_lookup_elem(&stashes, &key);

	if (!s)
		return 0;
	p = bpf_refcount_acquire(s->c);   /* bug: s->c may be NULL */
	if (p)
		bpf_obj_drop(p);
	return 0;
}

SEC("tc")
int acquire_owning_never_null_ok(void *ctx)
{
	struct counted *c = bpf_obj_new(struct counted), *p;

	if (!c)
		return 0;
	p = bpf_refcount_acquire(c);      /* of an owning reference: never NULL */
	p->data = 1;
	bpf_obj_drop(p);
	bpf_obj_drop(c);
	return 0;
}

SEC("tc")
int acquire_without_refcount(void *ctx)
{
	struct plain *c = bpf_obj_new(struct plain), *p;

	if (!c)
		return 0;
	p = bpf_refcount_acquire(c);      /* bug: struct plain has no bpf_refcount */
	if (p)
		bpf_obj_drop(p);
	bpf_obj_drop(c);
	return 0;
}

struct node_only {
	long data;
	struct bpf_rb_node node;
};

struct node_only *btf_node_only;

SEC("tc")
int acquire_node_without_refcount(void *ctx)
{
	struct node_only *c = bpf_obj_new(struct node_only), *p;

	if (!c)
		return 0;
	p = bpf_refcount_acquire(c);      /* bug: a record, but no bpf_refcount in it */
	if (p)
		bpf_obj_drop(p);
	bpf_obj_drop(c);
	return 0;
}
