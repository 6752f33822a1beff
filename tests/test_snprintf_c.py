"""bpf_snprintf's format string, checked at load time (kfunclab.verifier.snprintf): the
kernel's ``bpf_bprintf_prepare()`` on the constant format with ``data_len / 8`` arguments;
``Invalid format string`` when it fails.

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

char out[64];

SEC("raw_tp/sys_enter")
int fmt(void *ctx)
{
	static const char f[] = FMT;
	u64 args[NARGS] = {};

	return bpf_snprintf(out, sizeof(out), f, args, sizeof(args)) & 1;
}
"""

CASES = [
    ('"%5d %0900000X"', 2, None),
    ('"%s % 9c %+2c %-3c %04c %0c %+05s"', 7, None),
    ('"%pi4 %pI6 %pK %px %p"', 5, None),
    ('"%%done %lld %lu"', 2, None),
    ('"%d %d"', 1, "Invalid format string"),
    ('"%pj"', 1, "Invalid format string"),
    ('"%sx"', 1, "Invalid format string"),
    ('"%q"', 1, "Invalid format string"),
]


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        yield


def source(fmt: str, nargs: int) -> str:
    return SRC.replace("FMT", fmt).replace("NARGS", str(nargs))


@pytest.mark.parametrize(("fmt", "nargs", "error"), CASES)
def test_snprintf_format_is_checked_at_load(fmt: str, nargs: int, error: str | None) -> None:
    obj = cc.compile_text(source(fmt, nargs), "fmt.bpf.c")
    (item,) = verify_object(obj.path)
    got = item.result
    assert (got.verdict.value, got.error.message if got.error else None) == (
        "reject" if error else "accept", error)
