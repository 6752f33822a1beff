"""Exception callbacks (``__exception_cb``): kfunclab.verifier.exceptions, elf/exccb.py.

``tests/programs/exccb/exception_cb.bpf.c`` holds one program per rule; each answer is pinned
here (Linux 6.18, kernel/bpf/verifier.c; recorded on 6.18.44) and asked of the running kernel
through the selftests corpus's loader where root and libbpf are available.

"insn N cannot call exception cb directly" is printed without a newline: in the kernel's log it
runs into the summary line (kfunclab's message is the kernel's text alone).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ckit import HAVE_CLANG, HAVE_LIBBPF, OBJ_DIR, kernel_answers, needs_clang

from kfunclab import cc

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "programs" / "exccb" / "exception_cb.bpf.c"


#: program -> (verdict, error) under Linux 6.18, and the kernel function deciding it
EXPECTED = {
    # main and the callback (do_check_subprogs()) pass; check_max_stack_depth_subprog() then
    # refuses main's BPF_PSEUDO_CALL of the exception callback
    "call_cb_directly": ("reject", "insn 1 cannot call exception cb directly"),
    # do_check_common(): sub->arg_cnt != 1, before any instruction of the callback
    "cb_with_two_args": ("reject", "exception cb only supports single integer argument"),
    # the callback's own verification (R1 a scalar cookie) comes before the stack-depth check
    "cb_bad_access": ("reject", "R1 invalid mem access 'scalar'"),
    # mark_subprog_exc_cb(): the exception callback is a callback (is_cb)
    "cb_that_throws": ("reject", "bpf_throw kfunc (insn 6) cannot be called from callback "
                       "subprog 1"),
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (HAVE_CLANG and HAVE_LIBBPF):
        pytest.skip("clang or libbpf-dev (bpf/bpf_helpers.h) is missing")
    folder = tmp_path_factory.mktemp("exccb") / "obj"
    folder.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        obj = cc.compile_text(SOURCE.read_text(), "cell.bpf.c", btf="bundled")
        shutil.copy(obj.path, folder / "exception_cb.bpf.o")
    return folder / "exception_cb.bpf.o"


def _answers(path: Path, **options: object) -> dict[str, tuple[str, str | None]]:
    from kfunclab.elf import verify_object

    return {r.program: (r.verdict, r.result.error.message if r.result and r.result.error
                        else None) for r in verify_object(path, **options)}


@needs_clang
def test_exception_callback_rules_match_linux_6_18(compiled: Path) -> None:
    assert _answers(compiled, btf="bundled") == EXPECTED


@needs_clang
def test_exception_callback_rules_match_the_running_kernel(compiled: Path,
                                                           tmp_path: Path) -> None:
    kernel = kernel_answers(compiled.parent, tmp_path)
    for program, (verdict, message) in _answers(compiled).items():
        want = kernel[f"obj/{compiled.name}:{program}"]
        if want["verdict"] not in ("accept", "reject"):
            pytest.skip(f"the kernel did not judge {program}: {want['verdict']}")
        assert verdict == want["verdict"], program
        # the message is the error line, or runs into the summary (the last line of the log)
        assert message == want["error"] or want["log_tail"][-1].startswith(
            f"{message}processed "), (program, message, want["log_tail"][-2:])


def test_exception_callback_of_the_selftests() -> None:
    """exceptions_fail's two programs calling their callback: rejected, as the kernel does."""
    path = OBJ_DIR / "exceptions_fail.bpf.o"
    if not path.is_file():
        pytest.skip(f"no built selftests corpus in {OBJ_DIR}")
    got = _answers(path, programs=["reject_exception_cb_call_global_func",
                                   "reject_exception_cb_call_static_func"], log_level=0)
    assert got == {"reject_exception_cb_call_global_func":
                   ("reject", "insn 3 cannot call exception cb directly"),
                   "reject_exception_cb_call_static_func":
                   ("reject", "insn 3 cannot call exception cb directly")}
