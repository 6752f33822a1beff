/* A timer callback never sleeps, even in a sleepable program (push_async_cb() starts its walk
 * with in_sleepable false): a global function that may sleep, called from one, is refused.
 * tests/test_timer_sleeps_c.py says what Linux 6.18 answers. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct elem {
	struct bpf_timer t;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct elem);
} timers SEC(".maps");

__noinline int read_user(int n)
{
	char buf[16];

	return bpf_copy_from_user(buf, sizeof(buf), (void *)0x1000) + n;  /* might sleep */
}

static int fired(void *map, int *key, struct elem *e)
{
	read_user(1);  /* a global function that may sleep, from a timer callback */
	return 0;
}

SEC("syscall")
int timer_global_sleeps(void *ctx)
{
	int key = 0;
	struct elem *e;

	read_user(0);  /* fine in the sleepable program */
	e = bpf_map_lookup_elem(&timers, &key);
	if (!e)
		return 0;
	bpf_timer_init(&e->t, &timers, 1);
	bpf_timer_set_callback(&e->t, fired);
	return 0;
}
