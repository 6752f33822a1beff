/* bpf_wq: a workqueue in a map value, its kfuncs and its callback (sleepable, async).
 * One program per rule; tests/test_wq.py says what Linux 6.18 answers for each. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern int bpf_wq_init(struct bpf_wq *wq, void *p__map, unsigned int flags) __weak __ksym;
extern int bpf_wq_start(struct bpf_wq *wq, unsigned int flags) __weak __ksym;
extern int bpf_wq_set_callback_impl(struct bpf_wq *wq,
				    int (callback_fn)(void *map, int *key, void *value),
				    unsigned int flags, void *aux__prog) __weak __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
#define bpf_wq_set_callback(wq, cb, flags) bpf_wq_set_callback_impl(wq, cb, flags, NULL)

struct elem {
	long counter;
	struct bpf_wq w;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, int);
	__type(value, struct elem);
} array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, int);
	__type(value, struct elem);
} other SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, long);
} plain SEC(".maps");

struct locked {
	struct bpf_spin_lock lock;
	long n;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct locked);
} locks SEC(".maps");

/* reads and writes the value it was started for: fine */
static int cb_counts(void *map, int *key, void *value)
{
	struct elem *e = value;

	e->counter++;
	return 0;
}

static int cb_noop(void *map, int *key, void *value)
{
	return 0;
}

/* set_timer_callback_state(): an async callback returns 0 */
static int cb_returns_one(void *map, int *key, void *value)
{
	return 1;
}

/* a bpf_wq callback is sleepable (is_async_cb_sleepable()): a helper that might sleep */
static int cb_sleeps(void *map, int *key, void *value)
{
	char buf[8];

	bpf_copy_from_user(buf, sizeof(buf), (void *)0x1000);
	return 0;
}

/* ... and a sleepable kfunc (KF_SLEEPABLE), in an RCU read section of its own */
static int cb_rcu(void *map, int *key, void *value)
{
	struct task_struct *t;

	bpf_rcu_read_lock();
	t = bpf_task_from_pid(1);
	if (t)
		bpf_task_release(t);
	bpf_rcu_read_unlock();
	return 0;
}

static __always_inline struct elem *lookup(void *map)
{
	int key = 0;

	return bpf_map_lookup_elem(map, &key);
}

SEC("tc")
int wq_ok(void *ctx)
{
	struct elem *e = lookup(&array);

	if (!e)
		return 0;
	if (bpf_wq_init(&e->w, &array, 0))
		return 0;
	if (bpf_wq_set_callback(&e->w, cb_counts, 0))
		return 0;
	bpf_wq_start(&e->w, 0);
	return 0;
}

SEC("tc")
int wq_in_hash(void *ctx)
{
	struct elem *e = lookup(&other);

	if (!e)
		return 0;
	bpf_wq_init(&e->w, &other, 0);
	bpf_wq_set_callback(&e->w, cb_counts, 0);
	return 0;
}

/* KF_ARG_PTR_TO_MAP: the __map argument must hold a map */
SEC("tc")
int wq_init_nomap(void *ctx)
{
	struct elem *e = lookup(&array);
	int key = 0;

	if (!e)
		return 0;
	bpf_wq_init(&e->w, &key, 0);
	return 0;
}

/* ... the map the workqueue lives in */
SEC("tc")
int wq_init_wrong_map(void *ctx)
{
	struct elem *e = lookup(&array);

	if (!e)
		return 0;
	bpf_wq_init(&e->w, &other, 0);
	return 0;
}

/* a map without a bpf_wq is not compared */
SEC("tc")
int wq_init_map_without_wq(void *ctx)
{
	struct elem *e = lookup(&array);

	if (!e)
		return 0;
	bpf_wq_init(&e->w, &plain, 0);
	return 0;
}

/* KF_ARG_PTR_TO_WORKQUEUE: a map value ... */
SEC("tc")
int wq_on_stack(void *ctx)
{
	struct bpf_wq w = {};

	bpf_wq_start(&w, 0);
	return 0;
}

/* ... exactly at its bpf_wq (check_map_field_pointer()) */
SEC("tc")
int wq_wrong_offset(void *ctx)
{
	struct elem *e = lookup(&array);

	if (!e)
		return 0;
	bpf_wq_start((void *)e, 0);
	return 0;
}

SEC("tc")
int wq_map_without_wq(void *ctx)
{
	long *v = lookup(&plain);

	if (!v)
		return 0;
	bpf_wq_start((void *)v, 0);
	return 0;
}

SEC("tc")
int wq_variable_offset(struct __sk_buff *skb)
{
	struct elem *e = lookup(&array);

	if (!e)
		return 0;
	bpf_wq_start((void *)&e->w + (skb->len & 8), 0);
	return 0;
}

SEC("tc")
int wq_maybe_null(void *ctx)
{
	struct elem *e = lookup(&array);

	bpf_wq_start(&e->w, 0);
	return 0;
}

SEC("tc")
int wq_cb_returns_one(void *ctx)
{
	struct elem *e = lookup(&array);

	if (!e)
		return 0;
	bpf_wq_init(&e->w, &array, 0);
	bpf_wq_set_callback(&e->w, cb_returns_one, 0);
	return 0;
}

/* the callback sleeps, the program does not */
SEC("tc")
int wq_cb_sleeps(void *ctx)
{
	struct elem *e = lookup(&array);

	if (!e)
		return 0;
	bpf_wq_init(&e->w, &array, 0);
	bpf_wq_set_callback(&e->w, cb_sleeps, 0);
	return 0;
}

SEC("tc")
int wq_cb_rcu(void *ctx)
{
	struct elem *e = lookup(&array);

	if (!e)
		return 0;
	bpf_wq_init(&e->w, &array, 0);
	bpf_wq_set_callback(&e->w, cb_rcu, 0);
	return 0;
}

/* a sleepable program */
SEC("syscall")
int wq_syscall_cb_sleeps(void *ctx)
{
	struct elem *e = lookup(&array);

	if (!e)
		return 0;
	bpf_wq_init(&e->w, &array, 0);
	bpf_wq_set_callback(&e->w, cb_sleeps, 0);
	bpf_wq_start(&e->w, 0);
	return 0;
}

/* a map whose record holds no bpf_wq, as the __map argument */
SEC("tc")
int wq_init_map_with_lock(void *ctx)
{
	struct elem *e = lookup(&array);

	if (!e)
		return 0;
	bpf_wq_init(&e->w, &locks, 0);
	return 0;
}

SEC("syscall")
int wq_syscall_cb_returns_one(void *ctx)
{
	struct elem *e = lookup(&array);

	if (!e)
		return 0;
	bpf_wq_init(&e->w, &array, 0);
	bpf_wq_set_callback(&e->w, cb_returns_one, 0);
	return 0;
}

SEC("syscall")
int wq_syscall_cb_rcu(void *ctx)
{
	struct elem *e = lookup(&array);

	if (!e)
		return 0;
	bpf_wq_init(&e->w, &array, 0);
	bpf_wq_set_callback(&e->w, cb_rcu, 0);
	return 0;
}

/* the map value itself as the __map argument */
SEC("syscall")
int wq_init_value_as_map(void *ctx)
{
	struct elem *e = lookup(&array);

	if (!e)
		return 0;
	bpf_wq_init(&e->w, e, 0);
	return 0;
}

SEC("syscall")
int wq_syscall_ok(void *ctx)
{
	struct elem *e = lookup(&other);

	if (!e)
		return 0;
	bpf_wq_init(&e->w, &other, 0);
	bpf_wq_set_callback(&e->w, cb_counts, 0);
	bpf_wq_start(&e->w, 0);
	return 0;
}

struct both {
	struct bpf_timer t;
	struct bpf_wq w;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct both);
} timers SEC(".maps");

/* a timer callback never sleeps, but the program does: it may set a bpf_wq callback */
static int timer_sets_wq(void *map, int *key, struct both *b)
{
	bpf_wq_init(&b->w, &timers, 0);
	bpf_wq_set_callback(&b->w, cb_noop, 0);
	return 0;
}

/* the callback's R3 is a value of the map the workqueue is in: here its first bytes are the
 * timer (struct both), not a counter */
static int timer_sets_counting_wq(void *map, int *key, struct both *b)
{
	bpf_wq_init(&b->w, &timers, 0);
	bpf_wq_set_callback(&b->w, cb_counts, 0);
	return 0;
}

SEC("syscall")
int wq_cb_value_is_its_maps(void *ctx)
{
	struct both *b = lookup(&timers);

	if (!b)
		return 0;
	bpf_timer_init(&b->t, &timers, 1);
	bpf_timer_set_callback(&b->t, timer_sets_counting_wq);
	return 0;
}

SEC("syscall")
int wq_set_from_timer_cb(void *ctx)
{
	struct both *b = lookup(&timers);

	if (!b)
		return 0;
	bpf_timer_init(&b->t, &timers, 1);
	bpf_timer_set_callback(&b->t, timer_sets_wq);
	return 0;
}

/* KF_ARG_PTR_TO_CALLBACK: NULL is no function */
SEC("syscall")
int wq_null_callback(void *ctx)
{
	struct elem *e = lookup(&array);

	if (!e)
		return 0;
	bpf_wq_set_callback_impl(&e->w, NULL, 0, NULL);
	return 0;
}

/* the value's bpf_wq may not be read or written as data */
SEC("syscall")
int wq_read_directly(void *ctx)
{
	struct elem *e = lookup(&array);

	if (!e)
		return 0;
	return *(long *)&e->w;
}

struct inner_wq {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct elem);
} inner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, int);
	__array(values, struct inner_wq);
} outer SEC(".maps") = {
	.values = { [0] = &inner },
};

/* an inner map's workqueue: the kernel tells the inner maps apart by map_uid; kfunclab does
 * not (unsupported, where the kernel accepts) */
SEC("syscall")
int wq_in_inner_map(void *ctx)
{
	int key = 0;
	struct elem *e;
	void *m;

	m = bpf_map_lookup_elem(&outer, &key);
	if (!m)
		return 0;
	e = bpf_map_lookup_elem(m, &key);
	if (!e)
		return 0;
	bpf_wq_init(&e->w, m, 0);
	return 0;
}

/* a callback that sets itself again: the address of a function at or before the instruction
 * that loads it (a negative pc-relative ld_imm64), and another entry into the async callback */
static int rearm(void *map, int *key, void *value)
{
	struct elem *e = value;

	if (e->counter++ > 3)
		return 0;
	if (e->counter & 1)
		bpf_wq_set_callback(&e->w, rearm, 0);
	bpf_wq_start(&e->w, 0);
	return 0;
}

SEC("syscall")
int wq_rearms(void *ctx)
{
	struct elem *e = lookup(&other);

	if (!e)
		return 0;
	if (bpf_wq_init(&e->w, &other, 0))
		return 0;
	if (e->counter > 5)
		bpf_wq_set_callback(&e->w, rearm, 0);
	else
		bpf_wq_set_callback(&e->w, rearm, 0);
	bpf_wq_start(&e->w, 0);
	return 0;
}
