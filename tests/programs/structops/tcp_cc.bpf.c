/* struct_ops: tcp_congestion_ops members implemented in BPF, one program per rule.
 * Each program fills one member of a struct_ops map below (libbpf's attach_btf_id and
 * expected_attach_type); tests/test_struct_ops.py says what Linux 6.18 answers for each. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#define SOL_TCP 6
#define TCP_NODELAY 1

extern void tcp_reno_cong_avoid(struct sock *sk, __u32 ack, __u32 acked) __ksym;
extern void cubictcp_acked(struct sock *sk, const struct ack_sample *sample) __ksym;

static inline struct tcp_sock *tcp_sk(const struct sock *sk)
{
	return (struct tcp_sock *)sk;
}

/* ssthresh, u32 (*)(struct sock *): the sock argument reads as a tcp_sock */
SEC("struct_ops")
__u32 BPF_PROG(ssthresh_read, struct sock *sk)
{
	return tcp_sk(sk)->snd_cwnd / 2;
}

/* cong_avoid, void: snd_cwnd is writable */
SEC("struct_ops")
void BPF_PROG(write_cwnd, struct sock *sk, __u32 ack, __u32 acked)
{
	tcp_sk(sk)->snd_cwnd = acked + 1;
}

/* the tcp_congestion_ops kfuncs (bpf_tcp_ca_kfunc_set) */
SEC("struct_ops")
void BPF_PROG(reno_kfunc, struct sock *sk, __u32 ack, __u32 acked)
{
	tcp_reno_cong_avoid(sk, ack, acked);
}

/* snd_una is not among the writable fields */
SEC("struct_ops")
void BPF_PROG(write_snd_una, struct sock *sk, __u32 ack, __u32 acked)
{
	tcp_sk(sk)->snd_una = ack;
}

/* 8 bytes at snd_cwnd (a u32) run past the field */
SEC("struct_ops")
void BPF_PROG(write_cwnd_wide, struct sock *sk, __u32 ack, __u32 acked)
{
	*(volatile __u64 *)&tcp_sk(sk)->snd_cwnd = ack;
}

/* one u64 store at snd_cwnd (a u32): past the end of the writable field */
SEC("struct_ops")
void BPF_PROG(write_cwnd_u64, struct sock *sk, __u32 ack, __u32 acked)
{
	asm volatile("*(u64 *)(%[tp] + %[off]) = %[v]"
		     :: [tp]"r"(sk), [off]"i"(__builtin_offsetof(struct tcp_sock, snd_cwnd)),
			[v]"r"((__u64)ack) : "memory");
}

/* icsk_ca_priv is writable at any offset inside it */
SEC("struct_ops")
void BPF_PROG(write_ca_priv, struct sock *sk, __u32 ack, __u32 acked)
{
	((volatile __u32 *)((struct inet_connection_sock *)sk)->icsk_ca_priv)[3] = ack;
}

/* the context (the arguments) is read only */
SEC("struct_ops")
void BPF_PROG(write_ctx, struct sock *sk, __u32 ack, __u32 acked)
{
	((volatile __u64 *)ctx)[1] = 0;
}

/* pkts_acked: the ack_sample is not a tcp_sock, so read only */
SEC("struct_ops")
void BPF_PROG(write_sample, struct sock *sk, const struct ack_sample *sample)
{
	((volatile struct ack_sample *)sample)->pkts_acked = 1;
}

/* init, void: R0 is never set, and need not be */
SEC("struct_ops")
void BPF_PROG(init_void, struct sock *sk)
{
}

/* init may call bpf_setsockopt ... */
SEC("struct_ops")
void BPF_PROG(init_setsockopt, struct sock *sk)
{
	int one = 1;

	bpf_setsockopt(sk, SOL_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* ... release may not (bpf_tcp_ca_get_func_proto()) */
SEC("struct_ops")
void BPF_PROG(release_setsockopt, struct sock *sk)
{
	int one = 1;

	bpf_setsockopt(sk, SOL_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* get_info: bpf_tcp_ca_check_member() refuses the member */
SEC("struct_ops")
__u64 BPF_PROG(get_info_member, struct sock *sk, __u32 ext, int *attr, union tcp_cc_info *info)
{
	return 0;
}

/* a kfunc's pointer to a struct of scalars (ack_sample, 12 bytes) in stack memory:
 * KF_ARG_PTR_TO_MEM of the struct's BTF size */
SEC("struct_ops")
void BPF_PROG(acked_stack_sample, struct sock *sk, const struct ack_sample *sample)
{
	struct ack_sample copy = { .pkts_acked = 1, .rtt_us = 2, .in_flight = 3 };

	cubictcp_acked(sk, &copy);
}

/* ... and 8 bytes at fp-8 given as one: the 12 bytes run past the frame */
SEC("struct_ops")
void BPF_PROG(acked_stack_short, struct sock *sk, const struct ack_sample *sample)
{
	volatile __u64 small = 1;

	cubictcp_acked(sk, (const struct ack_sample *)&small);
}

SEC(".struct_ops")
struct tcp_congestion_ops kfl_cc_h = {
	.pkts_acked = (void *)acked_stack_sample,
	.name = "kfl_cc_h",
};

SEC(".struct_ops")
struct tcp_congestion_ops kfl_cc_i = {
	.pkts_acked = (void *)acked_stack_short,
	.name = "kfl_cc_i",
};

SEC(".struct_ops")
struct tcp_congestion_ops kfl_cc_a = {
	.ssthresh = (void *)ssthresh_read,
	.cong_avoid = (void *)write_cwnd,
	.pkts_acked = (void *)write_sample,
	.init = (void *)init_void,
	.release = (void *)release_setsockopt,
	.get_info = (void *)get_info_member,
	.name = "kfl_cc_a",
};

SEC(".struct_ops")
struct tcp_congestion_ops kfl_cc_b = {
	.cong_avoid = (void *)reno_kfunc,
	.init = (void *)init_setsockopt,
	.name = "kfl_cc_b",
};

SEC(".struct_ops")
struct tcp_congestion_ops kfl_cc_c = {
	.cong_avoid = (void *)write_snd_una,
	.name = "kfl_cc_c",
};

SEC(".struct_ops")
struct tcp_congestion_ops kfl_cc_d = {
	.cong_avoid = (void *)write_cwnd_wide,
	.name = "kfl_cc_d",
};

SEC(".struct_ops")
struct tcp_congestion_ops kfl_cc_e = {
	.cong_avoid = (void *)write_ca_priv,
	.name = "kfl_cc_e",
};

SEC(".struct_ops")
struct tcp_congestion_ops kfl_cc_f = {
	.cong_avoid = (void *)write_ctx,
	.name = "kfl_cc_f",
};

SEC(".struct_ops")
struct tcp_congestion_ops kfl_cc_g = {
	.cong_avoid = (void *)write_cwnd_u64,
	.name = "kfl_cc_g",
};
