/* struct_ops of a struct the kernel does not have: check_struct_ops_btf_id() gets no
 * attach_btf_id and returns -ENOTSUPP without a message. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct kfl_missing_ops {
	int (*run)(int x);
	char name[16];
};

SEC("struct_ops/run")
int BPF_PROG(missing_run, int x)
{
	return 0;
}

SEC(".struct_ops.link")
struct kfl_missing_ops kfl_missing = {
	.run = (void *)missing_run,
};
