"""Kptrs inside nested structs and arrays of a map value (kfunclab.elf.maps): the kernel's
``btf_parse_fields()`` finds every one at its flattened offset (``btf_find_nested_struct()``,
``btf_repeat_fields()``), so ``bpf_kptr_xchg`` takes each element's slot and a plain store
into one is refused.

Each C program is compiled with clang (skips where it or libbpf-dev is missing) and verified
from its ELF object; the expectations are what the live 6.18.44 kernel answered on the same
objects (loaded through libbpf as the selftests corpus' load script does).
"""

from __future__ import annotations

import pytest
from test_cc import needs_clang

from kfunclab import cc
from kfunclab.elf import verify_object

pytestmark = [needs_clang]

SRC = """#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

struct pair {
	struct task_struct __kptr *t;
	long n;
};

struct value {
	struct pair p[2];
	struct task_struct __kptr *arr[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct value);
} m SEC(".maps");

SEC("tp_btf/task_newtask")
int nested(u64 *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx[0], *t, *old;
	int key = 0;
	struct value *v = bpf_map_lookup_elem(&m, &key);

	if (!v)
		return 0;
	t = bpf_task_acquire(task);
	if (!t)
		return 0;
	old = bpf_kptr_xchg(&SLOT, t);
	if (old)
		bpf_task_release(old);
	BODY
	return 0;
}
"""


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        yield


def _verify(slot: str, body: str = "", name: str = "nested"):
    obj = cc.compile_text(SRC.replace("SLOT", slot).replace("BODY", body), f"{name}.bpf.c")
    (item,) = verify_object(obj.path)
    return item.result


@pytest.mark.parametrize("slot", ["v->p[1].t", "v->arr[2]", "v->arr[0]"])
def test_kptr_xchg_takes_each_nested_slot(slot: str) -> None:
    result = _verify(slot, name="slot")
    assert result.verdict.value == "accept", result.error


def test_a_plain_store_into_a_nested_kptr_is_refused() -> None:
    result = _verify("v->arr[1]", "*(volatile long *)&v->p[1].t = 0;", "store")
    assert (result.verdict.value, result.error.message) == (
        "reject", "store to referenced kptr disallowed")
