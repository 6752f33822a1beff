"""Callbacks, timers and bpf_throw on the Linux selftests objects built for this machine.

Where the selftests corpus has been built and judged by the running kernel (the objects and
``expected.json`` in $KFL_SELFTESTS_OBJ, see tests/test_selftests_corpus.py), kfunclab is held
to the kernel's first-error line on the programs of this family it models, and must never
accept what the kernel refuses in the family's objects. Elsewhere the test skips.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

OBJ_DIR = Path(os.environ.get("KFL_SELFTESTS_OBJ") or next(
    (p for p in (Path("/work/selftests-obj"),) if (p / "expected.json").is_file()),
    Path(f"/tmp/kfl-selftests-obj-{os.getuid()}")))
EXPECTED = OBJ_DIR / "expected.json"
FAMILY = ("async_stack_depth", "exceptions_assert", "exceptions_fail", "user_ringbuf_fail",
          "verifier_helper_restricted", "verifier_subprog_precision", "dynptr_fail")
#: program -> what the kernel answered, matched exactly (bpf_loop and for_each callbacks,
#: timers and their async stacks, bpf_throw, __exception_cb look-up, user_ringbuf_drain)
EXACT = (
    "async_stack_depth:async_call_root_check", "async_stack_depth:pseudo_call_check",
    "exceptions_fail:reject_async_callback_throw", "exceptions_fail:reject_with_cb",
    "exceptions_fail:reject_exception_throw_cb", "exceptions_fail:reject_exception_cb_type_1",
    "exceptions_fail:reject_multiple_exception_cb", "exceptions_fail:reject_with_rcu_read_lock",
    "user_ringbuf_fail:user_ringbuf_callback_invalid_return",
    "user_ringbuf_fail:user_ringbuf_callback_null_context_read",
    "user_ringbuf_fail:user_ringbuf_callback_write_forbidden",
    "verifier_helper_restricted:in_bpf_prog_type_kprobe_2",
    "verifier_subprog_precision:callback_result_precise",
    "verifier_subprog_precision:parent_stack_slot_precise_with_callback",
)


def _why_not() -> str | None:
    if not EXPECTED.is_file():
        return f"no selftests objects judged by this kernel in {OBJ_DIR}"
    missing = [f for f in FAMILY if not (OBJ_DIR / f"{f}.bpf.o").is_file()]
    return f"objects missing from {OBJ_DIR}: {', '.join(missing)}" if missing else None


WHY = _why_not()


@pytest.fixture(scope="module")
def answers() -> dict[str, tuple[str, str | None, str | None, str | None]]:
    from kfunclab.elf import verify_object

    kernel = json.loads(EXPECTED.read_text())
    out = {}
    for name in FAMILY:
        for r in verify_object(OBJ_DIR / f"{name}.bpf.o", log_level=0):
            k = kernel.get(f"obj/{name}.bpf.o:{r.program}", {})
            err = r.result.error if r.result is not None else None
            out[f"{name}:{r.program}"] = (k.get("verdict"), k.get("error"), r.verdict,
                                         err.message if err is not None else None)
    return out


@pytest.mark.skipif(WHY is not None, reason=WHY or "")
@pytest.mark.parametrize("prog", EXACT)
def test_kfunclab_gives_the_kernels_answer(answers, prog: str) -> None:
    kernel_verdict, kernel_error, verdict, error = answers[prog]
    assert (verdict, error) == (kernel_verdict, kernel_error)


@pytest.mark.skipif(WHY is not None, reason=WHY or "")
def test_no_unsound_accept_in_the_family(answers) -> None:
    unsound = [p for p, (kv, _, v, _) in answers.items() if kv == "reject" and v == "accept"]
    assert unsound == []
