/* struct_ops: check_struct_ops_btf_id() wants a GPL-compatible licence. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "MIT";

SEC("struct_ops")
void BPF_PROG(nogpl_init, struct sock *sk)
{
}

SEC(".struct_ops")
struct tcp_congestion_ops kfl_nogpl = {
	.init = (void *)nogpl_init,
	.name = "kfl_nogpl",
};
