"""Loads of pointer members of ``bpf_obj_new`` objects (kfunclab.verifier.records.
local_object_access): ``btf_struct_walk()`` on a program-local, allocated type.

``tests/programs/localobj/walk.bpf.c`` holds one program per rule. Compiled with clang, each is
verified by kfunclab and compared with the answer pinned here (Linux 6.18, from
kernel/bpf/btf.c; recorded on 6.18.44 too) and, where the kernel can be asked, with the running
kernel's answer through the selftests corpus's loader (libbpf, load only). The selftest this
models is ``linked_list_fail:ptr_walk_scalar`` (a pointer to a struct clang only declared).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ckit import HAVE_CLANG, HAVE_LIBBPF, kernel_answers, needs_clang

from kfunclab import cc

SOURCE = Path(__file__).resolve().parent / "programs" / "localobj" / "walk.bpf.c"

#: program -> (verdict, first-error line) under Linux 6.18
EXPECTED = {
    # WALK_PTR_UNTRUSTED (pointer to a FWD struct): PTR_TO_MEM | MEM_RDONLY | PTR_UNTRUSTED,
    # which loads (a probe read) at any offset
    "fwd_ptr_read_ok": ("accept", None),
    # check_mem_access(), PTR_TO_MEM with MEM_RDONLY
    "int_ptr_write": ("reject", "R1 cannot write into rdonly_untrusted_mem"),
    # check_reg_type() of bpf_this_cpu_ptr's ARG_PTR_TO_PERCPU_BTF_ID
    "int_ptr_to_percpu": ("reject", "R1 type=rdonly_untrusted_mem expected=percpu_ptr_, "
                          "percpu_rcu_ptr_, percpu_trusted_ptr_"),
    # btf_struct_access(): WALK_PTR of an allocated type "cannot become a pointer again"
    "struct_ptr_is_scalar": ("reject", "R1 invalid mem access 'scalar'"),
    # btf_struct_walk(): a pointer member is read whole
    "ptr_member_half": ("reject", "cannot access ptr member pp with moff 16 in struct holder "
                        "with off 20 size 4"),
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (HAVE_CLANG and HAVE_LIBBPF):
        pytest.skip("clang or libbpf-dev (bpf/bpf_helpers.h) is missing")
    folder = tmp_path_factory.mktemp("localobj") / "obj"
    folder.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        obj = cc.compile_text(SOURCE.read_text(), "walk.bpf.c", btf="bundled")
        shutil.copy(obj.path, folder / "walk.bpf.o")
    return folder / "walk.bpf.o"


def _answers(path: Path, **options: object) -> dict[str, tuple[str, str | None]]:
    from kfunclab.elf import verify_object

    return {r.program: (r.result.verdict.value,
                        r.result.error.message if r.result.error else None)
            for r in verify_object(path, **options)}


@needs_clang
def test_local_pointer_members_match_linux_6_18(compiled: Path) -> None:
    assert _answers(compiled, btf="bundled") == EXPECTED


@needs_clang
def test_local_pointer_members_match_the_running_kernel(compiled: Path, tmp_path: Path) -> None:
    kernel = {k.split(":", 1)[1]: (v["verdict"], v.get("error"))
              for k, v in kernel_answers(compiled.parent, tmp_path).items()}
    if any(v[0] not in ("accept", "reject") for v in kernel.values()):
        pytest.skip(f"the kernel did not judge every program: {kernel}")
    assert _answers(compiled) == kernel
