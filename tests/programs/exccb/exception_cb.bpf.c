/* Exception callbacks (__exception_cb): verified after the main program, as a global function
 * that is always called. The loader links only the functions a program calls, so each callback
 * here is also called directly, which check_max_stack_depth() refuses last.
 * tests/test_exception_callback.py says what Linux 6.18 answers for each program. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define __exception_cb(name) __attribute__((btf_decl_tag("exception_callback:" #name)))
extern void bpf_throw(u64 cookie) __ksym;

__noinline int cb_ok(u64 cookie)
{
	return cookie & 1;
}

__noinline int cb_two_args(u64 cookie, u64 other)
{
	return (cookie ^ other) & 1;
}

__noinline int cb_reads_null(u64 cookie)
{
	return *(volatile int *)(long)cookie;	/* a scalar is no pointer */
}

__noinline int cb_throws(u64 cookie)
{
	if (cookie == 7)
		bpf_throw(1);
	return 0;
}

SEC("?tc")
__exception_cb(cb_ok)
int call_cb_directly(struct __sk_buff *ctx)
{
	return cb_ok(ctx->len);
}

SEC("?tc")
__exception_cb(cb_two_args)
int cb_with_two_args(struct __sk_buff *ctx)
{
	return cb_two_args(ctx->len, ctx->mark);
}

SEC("?tc")
__exception_cb(cb_reads_null)
int cb_bad_access(struct __sk_buff *ctx)
{
	return cb_reads_null(ctx->len);
}

SEC("?tc")
__exception_cb(cb_throws)
int cb_that_throws(struct __sk_buff *ctx)
{
	return cb_throws(ctx->len);
}
