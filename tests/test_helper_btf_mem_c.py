"""A trusted kernel pointer as a helper's read-only memory (``ARG_PTR_TO_MEM | MEM_RDONLY``):
``check_reg_type()`` takes it, and the size argument's ``check_helper_mem_access()`` reads
that many bytes through the struct (``check_ptr_to_btf_access()``, a BPF_READ).

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

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/task_newtask")
int comm(u64 *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx[0];

	return bpf_strncmp(ARG, "foo") & 1;
}
"""


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        yield


CASES = [("task->comm, 16", "accept"), ("&task->comm[8], 4", "accept"),
         ("task->comm, 12", "accept"), ("(char *)&task->pid, 4", "accept"),
         ("task->comm, 17", "reject"), ("&task->comm[12], 8", "reject")]


@pytest.mark.parametrize(("arg", "verdict"), CASES)
def test_strncmp_reads_a_trusted_task_field(arg: str, verdict: str) -> None:
    obj = cc.compile_text(SRC.replace("ARG", arg), "comm.bpf.c")
    (item,) = verify_object(obj.path)
    assert item.result.verdict.value == verdict, item.result.error
    if verdict == "reject":  # the offsets are the build's: only the words are pinned
        assert item.result.error.message.startswith("access beyond the end of member comm ")
