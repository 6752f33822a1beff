"""``bpf_obj_new`` objects reached through pointers: loads of their pointer members
(kfunclab.verifier.records.local_object_access, ``btf_struct_walk()`` on a program-local,
allocated type) and refcounted objects stashed as kptrs (rules/kptrs.py, ``btf_ld_kptr_type()``;
``bpf_refcount_acquire``, rules/kfunc_args.py).

``tests/programs/localobj/*.bpf.c`` hold one program per rule. Compiled with clang, each is
verified by kfunclab and compared with the answer pinned here (Linux 6.18, from
kernel/bpf/btf.c; recorded on 6.18.44 too) and, where the kernel can be asked, with the running
kernel's answer through the selftests corpus's loader (libbpf, load only). The selftests it
models are ``linked_list_fail:ptr_walk_scalar`` (a pointer to a struct clang only declared)
and ``local_kptr_stash:refcount_acquire_without_unstash``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ckit import HAVE_CLANG, HAVE_LIBBPF, kernel_answers, needs_clang

from kfunclab import cc

SOURCES = Path(__file__).resolve().parent / "programs" / "localobj"

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
    # refcount.bpf.c -- btf_ld_kptr_type(): a __kptr to a type with a bpf_refcount loads as
    # MEM_RCU | MEM_ALLOC | NON_OWN_REF | PTR_MAYBE_NULL in an RCU critical section; readable,
    # and bpf_refcount_acquire (KF_ACQUIRE | KF_RET_NULL) makes an owning reference of it
    "acquire_stashed_ok": ("accept", None),
    # check_reference_leak(): the acquired object is never dropped
    "acquire_stashed_leak": ("reject",
                             "BPF_EXIT instruction in main prog would lead to reference leak"),
    # check_kfunc_args(): KF_RCU with a maybe-NULL argument
    "acquire_stashed_maybe_null": ("reject", "Possibly NULL pointer passed to trusted arg0"),
    # is_kfunc_ret_null(): bpf_refcount_acquire of an owning reference cannot fail
    "acquire_owning_never_null_ok": ("accept", None),
    # KF_ARG_PTR_TO_REFCOUNTED_KPTR: a struct without special fields has no btf_record
    "acquire_without_refcount": ("reject", "verifier bug: Couldn't find btf_record"),
    # ... and one with a record but no bpf_refcount field
    "acquire_node_without_refcount": ("reject", "arg#0 doesn't point to a type with "
                                      "bpf_refcount field"),
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (HAVE_CLANG and HAVE_LIBBPF):
        pytest.skip("clang or libbpf-dev (bpf/bpf_helpers.h) is missing")
    folder = tmp_path_factory.mktemp("localobj") / "obj"
    folder.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        for source in sorted(SOURCES.glob("*.bpf.c")):
            obj = cc.compile_text(source.read_text(), source.name, btf="bundled")
            shutil.copy(obj.path, folder / source.name.replace(".bpf.c", ".bpf.o"))
    return folder


def _all(folder: Path, **options: object) -> dict[str, tuple[str, str | None]]:
    out: dict[str, tuple[str, str | None]] = {}
    for path in sorted(folder.glob("*.bpf.o")):
        out.update(_answers(path, **options))
    return out


def _answers(path: Path, **options: object) -> dict[str, tuple[str, str | None]]:
    from kfunclab.elf import verify_object

    return {r.program: (r.result.verdict.value,
                        r.result.error.message if r.result.error else None)
            for r in verify_object(path, **options)}


@needs_clang
def test_local_pointer_members_match_linux_6_18(compiled: Path) -> None:
    assert _all(compiled, btf="bundled") == EXPECTED


@needs_clang
def test_local_pointer_members_match_the_running_kernel(compiled: Path, tmp_path: Path) -> None:
    kernel = {k.split(":", 1)[1]: (v["verdict"], v.get("error"))
              for k, v in kernel_answers(compiled, tmp_path).items()}
    if any(v[0] not in ("accept", "reject") for v in kernel.values()):
        pytest.skip(f"the kernel did not judge every program: {kernel}")
    assert _all(compiled) == kernel
