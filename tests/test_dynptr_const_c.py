"""Const dynptrs given to kfuncs (rules/dynptrs.kfunc_dynptr_arg): a global function's
``struct bpf_dynptr *`` argument is ``CONST_PTR_TO_DYNPTR`` (assumed LOCAL), which
``check_kfunc_args()`` passes as ``ARG_PTR_TO_DYNPTR | MEM_RDONLY`` (the selftest:
``verifier_global_subprogs:arg_tag_dynptr``).

``tests/programs/dynptr_const/global.bpf.c`` holds one program per rule. Compiled with clang, each
is verified by kfunclab and compared with the answer pinned here (Linux 6.18, from
kernel/bpf/verifier.c; recorded on 6.18.44 too) and, where the kernel can be asked, with the
running kernel's answer through the selftests corpus's loader (libbpf, load only).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ckit import HAVE_CLANG, HAVE_LIBBPF, kernel_answers, needs_clang

from kfunclab import cc

SOURCE = Path(__file__).resolve().parent / "programs" / "dynptr_const" / "global.bpf.c"

#: program -> (verdict, first-error line) under Linux 6.18
EXPECTED = {
    # KF_ARG_PTR_TO_DYNPTR: a const dynptr is MEM_RDONLY, which bpf_dynptr_slice accepts
    "call_slice_ok": ("accept", None),
    # bpf_dynptr_slice is KF_RET_NULL
    "call_slice_unchecked": ("reject", "R0 invalid mem access 'rdonly_mem_or_null'"),
    # check_kfunc_call(): bpf_dynptr_slice's PTR_TO_MEM is MEM_RDONLY
    "call_slice_write": ("reject", "R0 cannot write into rdonly_mem"),
    # bpf_dynptr_clone of a const dynptr into a stack dynptr
    "call_clone_ok": ("accept", None),
    # process_dynptr_func(): MEM_UNINIT | MEM_RDONLY (a const dynptr as clone__uninit)
    "call_clone_into_const": ("reject", "verifier bug: misconfigured dynptr helper type flags"),
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (HAVE_CLANG and HAVE_LIBBPF):
        pytest.skip("clang or libbpf-dev (bpf/bpf_helpers.h) is missing")
    folder = tmp_path_factory.mktemp("dynptr_const") / "obj"
    folder.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        obj = cc.compile_text(SOURCE.read_text(), SOURCE.name, btf="bundled")
        shutil.copy(obj.path, folder / "global.bpf.o")
    return folder


def _answers(folder: Path, **options: object) -> dict[str, tuple[str, str | None]]:
    from kfunclab.elf import verify_object

    return {r.program: (r.result.verdict.value,
                        r.result.error.message if r.result.error else None)
            for r in verify_object(folder / "global.bpf.o", **options)}


@needs_clang
def test_const_dynptr_kfunc_args_match_linux_6_18(compiled: Path) -> None:
    assert _answers(compiled, btf="bundled") == EXPECTED


@needs_clang
def test_const_dynptr_kfunc_args_match_the_running_kernel(compiled: Path, tmp_path: Path) -> None:
    kernel = {k.split(":", 1)[1]: (v["verdict"], v.get("error"))
              for k, v in kernel_answers(compiled, tmp_path).items()}
    if any(v[0] not in ("accept", "reject") for v in kernel.values()):
        pytest.skip(f"the kernel did not judge every program: {kernel}")
    assert _answers(compiled) == kernel
