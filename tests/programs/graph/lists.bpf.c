/* Graph kfuncs: bpf_obj_new objects in a bpf_list_head guarded by a bpf_spin_lock.
 * One program per rule; tests/test_graph_kfuncs.py says what Linux 6.18 answers for each. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

#define __contains(name, node) __attribute__((btf_decl_tag("contains:" #name ":" #node)))
#define private(name) SEC(".data." #name) __hidden __attribute__((aligned(8)))
#define bpf_obj_new(type) ((type *)bpf_obj_new_impl(bpf_core_type_id_local(type), NULL))
#define bpf_obj_drop(p) bpf_obj_drop_impl(p, NULL)
#define bpf_list_push_back(h, n) bpf_list_push_back_impl(h, n, NULL, 0)
#define container_of(ptr, type, member) ((type *)((void *)(ptr) - __builtin_offsetof(type, member)))

struct elem {
	int value;
	struct bpf_list_node node;
};

struct other {
	struct bpf_list_node node;
	int value;
};

private(A) struct bpf_spin_lock lock;
private(A) struct bpf_list_head head __contains(elem, node);
private(B) struct bpf_spin_lock lock_b;

SEC("?tc")
int push_pop(void *ctx)
{
	struct bpf_list_node *n;
	struct elem *e = bpf_obj_new(struct elem);

	if (!e)
		return 0;
	bpf_spin_lock(&lock);
	bpf_list_push_back(&head, &e->node);
	e->value = 1;	/* a non-owning reference: usable until the unlock */
	bpf_spin_unlock(&lock);
	bpf_spin_lock(&lock);
	n = bpf_list_pop_front(&head);
	bpf_spin_unlock(&lock);
	if (n)
		bpf_obj_drop(container_of(n, struct elem, node));
	return 0;
}

/* the list head argument points at the lock, not at a bpf_list_head */
SEC("?tc")
int push_at_the_lock(void *ctx)
{
	struct elem *e = bpf_obj_new(struct elem);

	if (!e)
		return 0;
	bpf_spin_lock(&lock);
	bpf_list_push_back((struct bpf_list_head *)&lock, &e->node);
	bpf_spin_unlock(&lock);
	return 0;
}

SEC("?tc")
int push_without_lock(void *ctx)
{
	struct elem *e = bpf_obj_new(struct elem);

	if (!e)
		return 0;
	bpf_list_push_back(&head, &e->node);
	return 0;
}

SEC("?tc")
int push_under_other_lock(void *ctx)
{
	struct elem *e = bpf_obj_new(struct elem);

	if (!e)
		return 0;
	bpf_spin_lock(&lock_b);
	bpf_list_push_back(&head, &e->node);
	bpf_spin_unlock(&lock_b);
	return 0;
}

SEC("?tc")
int use_after_unlock(void *ctx)
{
	struct elem *e = bpf_obj_new(struct elem);

	if (!e)
		return 0;
	bpf_spin_lock(&lock);
	bpf_list_push_back(&head, &e->node);
	bpf_spin_unlock(&lock);
	return e->value;	/* the list owns e; the unlock ended our view of it */
}

SEC("?tc")
int pop_leak(void *ctx)
{
	struct bpf_list_node *n;

	bpf_spin_lock(&lock);
	n = bpf_list_pop_front(&head);
	bpf_spin_unlock(&lock);
	return n ? 1 : 0;	/* the popped node is ours and never dropped */
}

SEC("?tc")
int push_wrong_type(void *ctx)
{
	struct other *o = bpf_obj_new(struct other);

	if (!o)
		return 0;
	bpf_spin_lock(&lock);
	bpf_list_push_back(&head, &o->node);
	bpf_spin_unlock(&lock);
	return 0;
}

SEC("?tc")
int push_twice(void *ctx)
{
	struct elem *e = bpf_obj_new(struct elem);

	if (!e)
		return 0;
	bpf_spin_lock(&lock);
	bpf_list_push_back(&head, &e->node);
	bpf_list_push_back(&head, &e->node);	/* e is no longer ours to give */
	bpf_spin_unlock(&lock);
	return 0;
}

SEC("?tc")
int read_node_field(void *ctx)
{
	struct elem *e = bpf_obj_new(struct elem);
	long v;

	if (!e)
		return 0;
	v = *(long *)&e->node;
	bpf_obj_drop(e);
	return v;
}

SEC("?tc")
int read_head_field(void *ctx)
{
	return *(int *)&head;
}

SEC("?kprobe")
int list_in_kprobe(void *ctx)
{
	struct bpf_list_node *n;

	bpf_spin_lock(&lock);
	n = bpf_list_pop_front(&head);
	bpf_spin_unlock(&lock);
	if (n)
		bpf_obj_drop(container_of(n, struct elem, node));
	return 0;
}

struct relem {
	long key;
	struct bpf_rb_node rnode;
};

private(C) struct bpf_spin_lock rlock;
private(C) struct bpf_rb_root root __contains(relem, rnode);

SEC("?tc")
int rbtree_first_without_lock(void *ctx)
{
	return bpf_rbtree_first(&root) ? 1 : 0;
}

SEC("?tc")
int rbtree_remove_first(void *ctx)
{
	struct bpf_rb_node *n, *m = NULL;

	bpf_spin_lock(&rlock);
	n = bpf_rbtree_first(&root);	/* non-owning: the tree keeps it */
	if (n)
		m = bpf_rbtree_remove(&root, n);	/* owning: ours to drop */
	bpf_spin_unlock(&rlock);
	if (m)
		bpf_obj_drop(container_of(m, struct relem, rnode));
	return 0;
}

SEC("?tc")
int rbtree_remove_after_unlock(void *ctx)
{
	struct bpf_rb_node *n, *m;

	bpf_spin_lock(&rlock);
	n = bpf_rbtree_first(&root);
	bpf_spin_unlock(&rlock);
	if (!n)
		return 0;
	bpf_spin_lock(&rlock);
	m = bpf_rbtree_remove(&root, n);	/* n died at the unlock */
	bpf_spin_unlock(&rlock);
	if (m)
		bpf_obj_drop(container_of(m, struct relem, rnode));
	return 0;
}

SEC("?tc")
int rbtree_node_new_drop(void *ctx)
{
	struct relem *r = bpf_obj_new(struct relem);	/* puts struct relem in the BTF too */

	if (r)
		bpf_obj_drop(r);
	return 0;
}

SEC("?tc")
int lock_one_of_two(void *ctx)
{
	struct elem *e = bpf_obj_new(struct elem);

	if (!e)
		return 0;
	if (bpf_get_prandom_u32() & 1)
		bpf_spin_lock(&lock);
	else
		bpf_spin_lock(&lock_b);	/* paths meet with different locks held */
	bpf_list_push_back(&head, &e->node);
	bpf_spin_unlock(&lock);
	return 0;
}
