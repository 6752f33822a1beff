/* bpf_rbtree_add's less() callback: verified in the tree's lock, with two non-owning nodes.
 * One program per rule; tests/test_rbtree_callback.py says what Linux 6.18 answers for each. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

#define __contains(name, node) __attribute__((btf_decl_tag("contains:" #name ":" #node)))
#define private(name) SEC(".data." #name) __hidden __attribute__((aligned(8)))
#define bpf_obj_new(type) ((type *)bpf_obj_new_impl(bpf_core_type_id_local(type), NULL))
#define bpf_obj_drop(p) bpf_obj_drop_impl(p, NULL)
#define bpf_rbtree_add(r, n, less) bpf_rbtree_add_impl(r, n, less, NULL, 0)
#define container_of(ptr, type, member) ((type *)((void *)(ptr) - __builtin_offsetof(type, member)))

struct item {
	long key;
	struct bpf_rb_node rb;
};

private(T) struct bpf_spin_lock tlock;
private(T) struct bpf_rb_root tree __contains(item, rb);

/* reads both keys through the non-owning nodes: fine */
static bool less_by_key(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	return container_of(a, struct item, rb)->key < container_of(b, struct item, rb)->key;
}

/* a helper call inside the lock the callback runs in */
static bool less_calls_helper(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	return bpf_get_prandom_u32() & 1;
}

/* returns 2: out of the callback's [0, 1] */
static __attribute__((noinline)) int less_two(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	return container_of(a, struct item, rb)->key ? 2 : 0;
}

/* writes a key through the non-owning node a: allowed (PTR_TO_BTF_ID | MEM_ALLOC) */
static bool less_writes(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	container_of(a, struct item, rb)->key = 7;
	return 0;
}

/* reads past the end of struct item through b */
static bool less_reads_past_end(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	return *(long *)((void *)b + 32) > 0;
}

#define ADD_WITH(less)						\
	struct item *n = bpf_obj_new(struct item);		\
								\
	if (!n)							\
		return 0;					\
	n->key = 3;						\
	bpf_spin_lock(&tlock);					\
	bpf_rbtree_add(&tree, &n->rb, less);			\
	bpf_spin_unlock(&tlock);				\
	return 0;

SEC("?tc")
int add_by_key(void *ctx) { ADD_WITH(less_by_key) }

SEC("?tc")
int add_cb_calls_helper(void *ctx) { ADD_WITH(less_calls_helper) }

SEC("?tc")
int add_cb_returns_two(void *ctx) { ADD_WITH((void *)less_two) }

SEC("?tc")
int add_cb_writes_key(void *ctx) { ADD_WITH(less_writes) }

SEC("?tc")
int add_cb_reads_past_end(void *ctx) { ADD_WITH(less_reads_past_end) }

/* the node added is non-owning after the add, and dies at the unlock */
SEC("?tc")
int add_then_read_after_unlock(void *ctx)
{
	struct item *n = bpf_obj_new(struct item);

	if (!n)
		return 0;
	bpf_spin_lock(&tlock);
	bpf_rbtree_add(&tree, &n->rb, less_by_key);
	bpf_spin_unlock(&tlock);
	return n->key;
}

/* nodes with a bpf_refcount: ref_set_non_owning() makes the callback's nodes MEM_RCU too */
struct ritem {
	long key;
	struct bpf_rb_node rb;
	struct bpf_refcount ref;
};

private(R) struct bpf_spin_lock rlock;
private(R) struct bpf_rb_root rtree __contains(ritem, rb);

static bool less_refcounted(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	return container_of(a, struct ritem, rb)->key < container_of(b, struct ritem, rb)->key;
}

SEC("?tc")
int add_refcounted(void *ctx)
{
	struct ritem *n = bpf_obj_new(struct ritem);

	if (!n)
		return 0;
	bpf_spin_lock(&rlock);
	bpf_rbtree_add(&rtree, &n->rb, less_refcounted);
	bpf_spin_unlock(&rlock);
	return 0;
}
