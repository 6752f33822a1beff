"""Selftests of the verifier core, each answered as this machine's kernel answered it.

Programs of the Linux BPF selftests whose verdict or first error kfunclab once got wrong, one
or a few per root cause: iterator loops clang rotates (``iter_active_depths_differ()``), an
iterator passed to a subprogram, ``__btf_path()`` CO-RE targets, libbpf's log fixup of a
poisoned CO-RE relocation, pointer arithmetic limits (``check_reg_sane_offset()``). The
kernel's answers are those recorded for the objects in $KFL_SELFTESTS_OBJ (its
``expected.json``, written by ../shared/selftests/load.py on this kernel): nothing here pins a
build's ids or text. Skips where the objects or the answers are missing (see
tests/test_selftests_corpus.py for building them).
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import pytest

OBJ_DIR = Path(os.environ.get("KFL_SELFTESTS_OBJ", f"/tmp/kfl-selftests-obj-{os.getuid()}"))

PROGRAMS = [
    # an iterator loop whose next call is at the bottom: depth changes each round
    ("iters", "iter_while_loop"),
    ("iters", "iter_for_loop"),
    ("iters", "iter_nested_iters"),
    ("verifier_bits_iter", "bit_index"),
    # an iterator on the caller's stack, next() in a subprogram called twice
    ("iters", "iter_pass_iter_ptr_to_subprog"),
    # CO-RE against the BTF the test names, not the kernel's
    ("verifier_bitfield_write", "single_field_roundtrip"),
    ("verifier_bitfield_write", "multibyte_field_roundtrip"),
    # libbpf's rewrite of a poisoned CO-RE relocation's error
    ("test_log_fixup", "bad_relo"),
    ("test_log_fixup", "bad_relo_subprog"),
    # BPF_F_TEST_STATE_FREQ: precision of linked scalars (bt_sync_linked_regs()), and loop
    # checkpoints completed by propagate_backedges() when a loop visit ends
    ("verifier_scalar_ids", "check_ids_in_regsafe"),
    ("verifier_scalar_ids", "check_ids_in_regsafe_2"),
    ("verifier_scalar_ids", "linked_regs_broken_link_2"),
    ("verifier_scalar_ids", "precision_two_ids"),
    ("iters", "loop_state_deps1"),
    ("iters", "loop_state_deps2"),
    # global functions: verified only when their call is reached (aux->called), numbered as
    # the main program numbers them
    ("verifier_global_subprogs", "guarded_unsupp_global_called"),
    ("verifier_global_subprogs", "unguarded_unsupp_global_called"),
    ("test_global_func5", "global_func5"),
    ("test_global_func10", "global_func10"),
    # __arg_trusted / __arg_nullable arguments of global functions (btf_prepare_func_args())
    ("verifier_global_ptr_args", "trusted_task_arg_nullable"),
    ("verifier_global_ptr_args", "trusted_task_arg_nonnull_fail1"),
    ("verifier_global_ptr_args", "trusted_task_arg_nonnull_fail2"),
    ("verifier_global_ptr_args", "trusted_destroy_fail"),
    ("verifier_global_ptr_args", "trusted_acq_rel"),
    ("test_global_func11", "global_func11"),
    # do_refine_retval_range(); 32-bit moves link registers
    ("verifier_bpf_get_stack", "stack_return_r0_within_range"),
    ("verifier_reg_equal", "subreg_equality_1"),
    # bpf_kptr_xchg into an object from bpf_obj_new
    ("task_kfunc_success", "test_task_xchg_release"),
    # check_reg_sane_offset() on both operands and on the result
    ("verifier_bounds", "on_sign_extended_mov_test1"),
    ("verifier_bounds", "size_signed_32bit_overflow_test2"),
    ("verifier_direct_stack_access_wraparound", "with_32_bit_wraparound_test3"),
]


@cache
def _answers() -> dict[str, dict]:
    for name in ("expected.json", f"expected-{os.uname().release}.json"):
        path = OBJ_DIR / name
        if path.is_file():
            return json.loads(path.read_text())
    return {}


@cache
def _kfunclab(obj: str) -> dict[str, tuple[str, str | None]]:
    from kfunclab.elf import verify_object

    out = {}
    for r in verify_object(OBJ_DIR / f"{obj}.bpf.o", log_level=0):
        error = r.result.error.message if r.result is not None and r.result.error else None
        out[r.program] = (r.verdict, error)
    return out


@pytest.mark.parametrize(("obj", "prog"), PROGRAMS, ids=[f"{o}:{p}" for o, p in PROGRAMS])
def test_core_selftest_answered_as_the_kernel_did(obj: str, prog: str) -> None:
    if not (OBJ_DIR / f"{obj}.bpf.o").is_file():
        pytest.skip(f"no selftests object {obj}.bpf.o in {OBJ_DIR}")
    kernel = _answers().get(f"obj/{obj}.bpf.o:{prog}")
    if kernel is None or kernel["verdict"] not in ("accept", "reject"):
        pytest.skip(f"no kernel verdict recorded for {obj}:{prog} in {OBJ_DIR}")
    verdict, error = _kfunclab(obj)[prog]
    assert verdict == kernel["verdict"]
    if verdict == "reject":
        assert error == kernel["error"]
