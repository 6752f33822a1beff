"""A timer callback never sleeps, even in a sleepable program: the global-function case.

``check_func_call()`` refuses a global function that may sleep (``subprog_info[].might_sleep``)
where ``!in_sleepable(env)``, and a timer callback's walk starts with ``in_sleepable`` false
(``push_async_cb()``, ``is_async_cb_sleepable()``). kfunclab does not model that refusal (its
message spans three lines), so it must answer ``unsupported``, never accept; the running kernel
refuses the program (asked through the selftests corpus's loader where root and libbpf are
available). The kfunc and helper cases are rule programs of their own
(``tests/verifier/programs/callbacks/timer_cb_*.s``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ckit import HAVE_CLANG, HAVE_LIBBPF, kernel_answers, needs_clang

from kfunclab import cc

SOURCE = Path(__file__).resolve().parent / "programs" / "async_cb" / "global_sleeps.bpf.c"

pytestmark = [needs_clang]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (HAVE_CLANG and HAVE_LIBBPF):
        pytest.skip("clang or libbpf-dev (bpf/bpf_helpers.h) is missing")
    folder = tmp_path_factory.mktemp("async_cb") / "obj"
    folder.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        obj = cc.compile_text(SOURCE.read_text(), SOURCE.name, btf="auto")
        shutil.copy(obj.path, folder / "global_sleeps.bpf.o")
    return folder / "global_sleeps.bpf.o"


def test_kfunclab_never_accepts_a_sleeping_global_in_a_timer_callback(compiled: Path) -> None:
    from kfunclab.elf import verify_object

    (item,) = verify_object(compiled)
    assert item.verdict == "unsupported"
    assert "from a timer callback" in item.result.error.message  # type: ignore[union-attr]


def test_the_running_kernel_refuses_it(compiled: Path, tmp_path: Path) -> None:
    kernel = kernel_answers(compiled.parent, tmp_path)
    answer = kernel["obj/global_sleeps.bpf.o:timer_global_sleeps"]
    assert (answer["verdict"], answer["error"]) == ("reject",
                                                    "a non-sleepable BPF program context")
