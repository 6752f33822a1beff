/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kfunclab catalogue "doc": the kfuncs of Documentation/bpf/kfuncs.rst as the seed doc shows
 * them (a kernel of about 6.2/6.3), written as the kernel would write them and loaded through
 * kfunclab's own C parser with the "doc" profile.
 *
 * From the doc, as printed there:
 *   bpf_find_get_task_by_vpid   2.1 (wrapper kfunc)
 *   bpf_memzero                 2.2.1 (__sz)
 *   bpf_obj_new                 2.2.2 (__k, "..." = no more arguments)
 *   bpf_get_task_pid            2.4 / 2.5, KF_ACQUIRE | KF_RET_NULL
 *   bpf_put_pid                 2.4 / 2.5, KF_RELEASE
 *   bpf_task_set registered for BPF_PROG_TYPE_TRACING (2.5)
 *
 * What the doc implies but does not print (marked "implied" below):
 *   - prototypes for bpf_get_task_pid / bpf_put_pid (the doc gives only their flags);
 *   - the wrapper returns a counted task reference or NULL (find_get_task_by_vpid takes a
 *     reference), so it is registered KF_ACQUIRE | KF_RET_NULL, and bpf_task_release is the
 *     release kfunc 2.4.1 says such a pointer must end in;
 *   - bpf_memzero and bpf_obj_new are registered too, so programs can call them; bpf_obj_new
 *     returns memory the program owns (KF_ACQUIRE | KF_RET_NULL) and bpf_obj_drop frees it.
 */

/* 2.1: a wrapper kfunc (the doc's example, as printed) */
__diag_push();
__diag_ignore_all("-Wmissing-prototypes",
		  "Global kfuncs as their definitions will be in BTF");

struct task_struct *bpf_find_get_task_by_vpid(pid_t nr)
{
	return find_get_task_by_vpid(nr);
}

/* 2.2.1: memory and size pair */
void bpf_memzero(void *mem, int mem__sz)
{
	memset(mem, 0, mem__sz);
}

/* 2.2.2: a known-constant scalar; the doc's "..." means no more arguments */
void *bpf_obj_new(u32 local_type_id__k, ...)
{
	...
}

/* implied: frees what bpf_obj_new returned */
void bpf_obj_drop(void *p__alloc)
{
	...
}

/* implied prototypes of the doc's 2.4 kfuncs */
struct pid *bpf_get_task_pid(struct task_struct *task)
{
	return get_task_pid(task, PIDTYPE_PID);
}

void bpf_put_pid(struct pid *pid)
{
	put_pid(pid);
}

/* implied: the release kfunc for the wrapper's task reference */
void bpf_task_release(struct task_struct *p)
{
	put_task_struct(p);
}

__diag_pop();

/* 2.4 / 2.5: the doc's set, plus the implied entries after it */
BTF_SET8_START(bpf_task_set)
BTF_ID_FLAGS(func, bpf_get_task_pid, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_put_pid, KF_RELEASE)
BTF_ID_FLAGS(func, bpf_find_get_task_by_vpid, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_task_release, KF_RELEASE)
BTF_ID_FLAGS(func, bpf_memzero)
BTF_ID_FLAGS(func, bpf_obj_new, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_obj_drop, KF_RELEASE)
BTF_SET8_END(bpf_task_set)

static const struct btf_kfunc_id_set bpf_task_kfunc_set = {
	.owner = THIS_MODULE,
	.set   = &bpf_task_set,
};

static int init_subsystem(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &bpf_task_kfunc_set);
}
late_initcall(init_subsystem);
