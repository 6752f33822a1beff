"""bpf_rbtree_add's less() callback (kfunclab.verifier.rules.rbtree_cb).

``tests/programs/rbtree_cb/less.bpf.c`` holds one program per rule. Compiled with clang against
the bundled kernel types, each is verified by kfunclab and compared with the answer pinned here
(Linux 6.18, kernel/bpf/verifier.c; recorded on 6.18.44 with the same processed-instruction
counts) offline, and with the running kernel, asked during the test through the selftests
corpus's loader where root and libbpf are available (as tests/test_graph_kfuncs.py does).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ckit import HAVE_CLANG, HAVE_LIBBPF, OBJ_DIR, kernel_answers, needs_clang

from kfunclab import cc

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "programs" / "rbtree_cb" / "less.bpf.c"


#: program -> (verdict, first-error line) under Linux 6.18, and the kernel function deciding it
EXPECTED = {
    # set_rbtree_add_callback_state(): R1, R2 are non-owning nodes of struct item; reads fine
    "add_by_key": ("accept", None),
    # do_check_insn(): the callback runs with the caller's lock held
    "add_cb_calls_helper": ("reject", "function calls are not allowed while holding a lock"),
    # prepare_func_exit(): callback_ret_range is [0, 1]
    "add_cb_returns_two": ("reject", "At callback return the register R0 has smin=2 smax=2 "
                           "should have been in [0, 1]"),
    # a non-owning node is PTR_TO_BTF_ID | MEM_ALLOC: its plain fields may be written
    "add_cb_writes_key": ("accept", None),
    # btf_struct_access(): the node reg sits at the node's offset (8) inside struct item
    "add_cb_reads_past_end": ("reject", "access beyond struct item at off 40 size 8"),
    # the added node became non-owning and died at bpf_spin_unlock
    "add_then_read_after_unlock": ("reject", "R6 invalid mem access 'scalar'"),
    # refcounted nodes (MEM_RCU non-owning references) are not modelled: never a guess
    # (the kernel accepts this one)
    "add_refcounted": ("unsupported", "bpf_rbtree_add's less() callback on refcounted nodes "
                       "(non-owning MEM_RCU references) is not modelled"),
}

#: rbtree_fail.bpf.o programs of the selftests whose less() callback breaks a rule
SELFTESTS_CB = {
    "rbtree_api_add_bad_cb_bad_fn_call_add": "arg#1 expected pointer to allocated object",
    "rbtree_api_add_bad_cb_bad_fn_call_remove": "bpf_rbtree_remove not allowed in rbtree cb",
    "rbtree_api_add_bad_cb_bad_fn_call_first_unlock_after":
        "can't spin_{lock,unlock} in rbtree cb",
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (HAVE_CLANG and HAVE_LIBBPF):
        pytest.skip("clang or libbpf-dev (bpf/bpf_helpers.h) is missing")
    folder = tmp_path_factory.mktemp("rbtree_cb") / "obj"
    folder.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        obj = cc.compile_text(SOURCE.read_text(), "cell.bpf.c", btf="bundled")
        shutil.copy(obj.path, folder / "less.bpf.o")
    return folder / "less.bpf.o"


def _answers(path: Path, **options: object) -> dict[str, tuple[str, str | None]]:
    from kfunclab.elf import verify_object

    return {r.program: (r.result.verdict.value,
                        r.result.error.message if r.result.error else None)
            for r in verify_object(path, **options)}


@needs_clang
def test_less_callback_rules_match_linux_6_18(compiled: Path) -> None:
    assert _answers(compiled, btf="bundled") == EXPECTED


@needs_clang
def test_less_callback_rules_match_the_running_kernel(compiled: Path, tmp_path: Path) -> None:
    kernel = kernel_answers(compiled.parent, tmp_path)
    if any(v["verdict"] not in ("accept", "reject") for v in kernel.values()):
        pytest.skip(f"the kernel did not judge every program: {kernel}")
    from kfunclab.elf import verify_object

    for r in verify_object(compiled):
        want = kernel[f"obj/{compiled.name}:{r.program}"]
        if r.result.verdict.value == "unsupported":
            assert want["verdict"] == "accept", r.program
            continue
        got = (r.result.verdict.value, r.result.error.message if r.result.error else None)
        assert got == (want["verdict"], want.get("error")), r.program
        assert r.result.stats.processed_insns == want["processed_insns"], r.program


def test_bad_calls_in_the_selftests_less_callbacks() -> None:
    path = OBJ_DIR / "rbtree_fail.bpf.o"
    if not path.is_file():
        pytest.skip(f"no built selftests corpus in {OBJ_DIR}")
    got = _answers(path, log_level=0)
    for program, message in SELFTESTS_CB.items():
        assert got[program] == ("reject", message)
