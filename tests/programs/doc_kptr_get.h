struct task_struct *bpf_task_kptr_get(struct task_struct **pp);
void bpf_task_release(struct task_struct *p);
BTF_SET8_START(kptr_set)
BTF_ID_FLAGS(func, bpf_task_kptr_get, KF_ACQUIRE | KF_KPTR_GET | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_task_release, KF_RELEASE)
BTF_SET8_END(kptr_set)
static const struct btf_kfunc_id_set kptr_kfunc_set = { .owner = THIS_MODULE, .set = &kptr_set, };
static int init(void) { return register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &kptr_kfunc_set); }
