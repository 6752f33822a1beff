"""Global functions from C: call chains (``check_max_stack_depth()`` after every global
function is verified, kfunclab.verifier.chaindepth) and the packet pointers a call of one that
changes packet data kills (``subprog_info[].changes_pkt_data``).

Each C program is compiled with clang (the test skips where it or libbpf-dev is missing) and
verified from its ELF object. The expectations are what a 6.18.44 kernel answered when these
objects were loaded through libbpf (the selftests corpus' load script): the same verdicts, and
for the wide pair "combined stack size of 2 calls is 640. Too large" and for the pull
"R7 invalid mem access 'scalar'" (byte counts and register numbers depend on clang's code, so
only the message's shape is pinned).
"""

from __future__ import annotations

import pytest
from test_cc import needs_clang

from kfunclab import cc
from kfunclab.elf import verify_object

pytestmark = [needs_clang]

HEAD = """#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";
"""

# nine frames: main and eight global functions, each calling the next
DEEP = HEAD + "".join(
    f"""
__attribute__((noinline)) int f{i}(int x)
{{
	return {"x + 1" if i == 8 else f"f{i + 1}(x) + 1"};
}}
""" for i in range(8, 0, -1)) + """
SEC("tc")
int deep(struct __sk_buff *skb)
{
	return f1(skb->len);
}
"""

# two frames of 320 bytes each: 640 bytes of stack together
WIDE = HEAD + """
__attribute__((noinline)) int big(int x)
{
	volatile char buf[320];

	buf[x & 255] = 1;
	return buf[(x + 1) & 255];
}

SEC("tc")
int wide(struct __sk_buff *skb)
{
	volatile char buf[320];

	buf[skb->len & 255] = 1;
	return big(skb->len) + buf[3];
}
"""

# two frames of 200 bytes: within the limit
NARROW = WIDE.replace("[320]", "[200]").replace("& 255", "& 127")


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        yield


def _verify(text: str, name: str):
    obj = cc.compile_text(text, f"{name}.bpf.c")
    (item,) = verify_object(obj.path)
    return item.result


def test_nine_frames_through_global_functions_are_too_deep() -> None:
    result = _verify(DEEP, "deep")
    assert result.verdict.value == "reject"
    assert result.error.message == "the call stack of 8 frames is too deep !"


def test_two_wide_frames_through_a_global_function_are_too_large() -> None:
    result = _verify(WIDE, "wide")
    assert result.verdict.value == "reject"
    assert result.error.message.startswith("combined stack size of 2 calls is ")
    assert result.error.message.endswith(". Too large")


def test_two_narrow_frames_through_a_global_function_fit() -> None:
    assert _verify(NARROW, "narrow").verdict.value == "accept"


# a global function that may move the packet (bpf_skb_pull_data, one call down) kills the
# caller's packet pointers (check_cfg()'s changes_pkt_data, merged from callee to caller)
PULLS = HEAD + """
__attribute__((noinline)) long pull2(struct __sk_buff *skb, __u32 len)
{
	return bpf_skb_pull_data(skb, len);
}

__attribute__((noinline)) long pull1(struct __sk_buff *skb, __u32 len)
{
	return pull2(skb, len);
}

SEC("tc")
int pulls(struct __sk_buff *skb)
{
	int *p = (void *)(long)skb->data;

	if ((void *)(p + 1) > (void *)(long)skb->data_end)
		return 2;
	pull1(skb, 0);
	*p = 42;
	return 0;
}
"""
KEEPS = PULLS.replace("return bpf_skb_pull_data(skb, len);", "return len + skb->len;")


def test_global_function_that_pulls_data_kills_packet_pointers() -> None:
    result = _verify(PULLS, "pulls")
    assert result.verdict.value == "reject"
    assert result.error.message.endswith("invalid mem access 'scalar'")


def test_global_function_that_leaves_the_packet_keeps_packet_pointers() -> None:
    assert _verify(KEEPS, "keeps").verdict.value == "accept"


# 6.18 calls a global function that cannot sleep inside an RCU read section
# (check_func_call(): subprog_info[].might_sleep is clear)
IN_RCU = HEAD + """
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

__attribute__((noinline)) int twice(struct __sk_buff *skb)
{
	return skb->len * 2;
}

SEC("tc")
int in_rcu(struct __sk_buff *skb)
{
	int n;

	bpf_rcu_read_lock();
	n = twice(skb);
	bpf_rcu_read_unlock();
	return n & 1;
}
"""


def test_global_function_that_cannot_sleep_runs_inside_rcu() -> None:
    assert _verify(IN_RCU, "in_rcu").verdict.value == "accept"


# a global function whose argument points to a struct only declared: btf_prepare_func_args()
# cannot size it, and every call of the function is refused
FWD = HEAD + """
struct never_defined;

__attribute__((noinline)) int peek(const struct never_defined *p)
{
	return p ? *(const int *)p : 0;
}

SEC("tc")
int fwd(struct __sk_buff *skb)
{
	return peek((void *)0);
}
"""


def test_global_function_with_an_unsized_argument_refuses_its_callers() -> None:
    result = _verify(FWD, "fwd")
    assert result.verdict.value == "reject"
    assert result.error.message == "Caller passes invalid args into func#1 ('peek')"
    assert result.error.context == (
        "arg#0 reference type('FWD never_defined') size cannot be determined: -22",)


# a kprobe's global function may name its context with the compatibility struct
# bpf_user_pt_regs_t (btf_is_prog_ctx_type() matches the kernel's context type by name)
KPROBE_CTX = HEAD + """
struct bpf_user_pt_regs_t {};

__attribute__((noinline)) int ctx_sub(struct bpf_user_pt_regs_t *ctx)
{
	__u64 buf[4] = {};

	return bpf_get_stack(ctx, buf, sizeof(buf), 0) > 0;
}

SEC("kprobe")
int kprobe_ctx(void *ctx)
{
	return ctx_sub(ctx);
}
"""


def test_kprobe_global_function_takes_its_context_as_bpf_user_pt_regs_t() -> None:
    assert _verify(KPROBE_CTX, "kprobe_ctx").verdict.value == "accept"
