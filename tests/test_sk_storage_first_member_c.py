"""``bpf_sk_storage_get`` takes a ``struct sock *`` for its ``sock_common`` argument:
``btf_struct_ids_match()`` walks first members (struct sock begins with its sock_common), and
refuses a struct that does not begin so ("R2 is of type task_struct but sock_common is
expected").

Compiled with clang (skips where it or libbpf-dev is missing) and verified from the ELF
object; the expectations are what the live 6.18.44 kernel answered on the same objects.
"""

from __future__ import annotations

import pytest
from test_cc import needs_clang

from kfunclab import cc
from kfunclab.elf import verify_object

pytestmark = [needs_clang]

SRC = """#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, u64);
} st SEC(".maps");

SEC("tp_btf/tcp_probe")
int BPF_PROG(probe, struct sock *sk, struct sk_buff *skb)
{
	bpf_sk_storage_get(&st, ARG, 0, 0);
	return 0;
}
"""


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        yield


@pytest.mark.parametrize(("arg", "verdict", "message"), [
    ("skb->sk", "accept", None),
    ("sk", "accept", None),
    ("(void *)bpf_get_current_task_btf()", "reject",
     "R2 is of type task_struct but sock_common is expected"),
])
def test_sk_storage_get_walks_first_members(arg: str, verdict: str, message: str | None) -> None:
    obj = cc.compile_text(SRC.replace("ARG", arg), "probe.bpf.c")
    (item,) = verify_object(obj.path)
    got = item.result
    assert (got.verdict.value, got.error.message if got.error else None) == (verdict, message)
