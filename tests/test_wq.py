"""bpf_wq: the workqueue kfuncs and their sleepable async callback (kfunclab.verifier.rules.wq).

``tests/programs/wq/wq.bpf.c`` holds one program per rule. Compiled with clang against the
bundled kernel types, each is verified by kfunclab and compared with the answer pinned here
(Linux 6.18 with the 6.18 profile; recorded on 6.18.44 with the same processed-instruction
counts) offline, and, with the probed profile, with the running kernel asked during the test
through the selftests corpus's loader where root and libbpf are available. Kfunc ids differ
between builds: "bpf_wq_set_callback_impl#N" is compared with the id masked.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from ckit import HAVE_CLANG, HAVE_LIBBPF, OBJ_DIR, kernel_answers, needs_clang

from kfunclab import cc

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "programs" / "wq" / "wq.bpf.c"

_FAILED = "kfunc bpf_wq_set_callback_impl#N failed callback verification"
_MISMATCH = "workqueue pointer in R1 map_uid=0 doesn't match map pointer in R2 map_uid=0"

#: program -> (verdict, first-error line, processed insns) under Linux 6.18 (the 6.18 profile)
EXPECTED = {
    # the running kernel: a bpf_wq callback is sleepable, the tc program is not
    "wq_ok": ("reject", _FAILED, 19),
    "wq_in_hash": ("reject", _FAILED, 18),
    "wq_cb_returns_one": ("reject", _FAILED, 18),
    "wq_cb_sleeps": ("reject", _FAILED, 18),
    "wq_cb_rcu": ("reject", _FAILED, 18),
    # check_kfunc_args() KF_ARG_PTR_TO_MAP: reg->map_ptr, then the workqueue's own map (the
    # running kernel compares them even when the second map has no bpf_wq)
    "wq_init_nomap": ("reject", "pointer in R2 isn't map pointer", 14),
    "wq_init_wrong_map": ("reject", _MISMATCH, 12),
    "wq_init_map_without_wq": ("reject", _MISMATCH, 12),
    "wq_init_map_with_lock": ("reject", _MISMATCH, 12),
    # a map value holds a map_ptr but is no BTF_ID (the probed profile: "R2 must be
    # referenced or trusted", every kfunc argument trusted)
    "wq_init_value_as_map": ("reject", "arg#1 is map_value expected map_value or socket", 12),
    # KF_ARG_PTR_TO_WORKQUEUE: process_wq_func(), check_map_field_pointer()
    "wq_on_stack": ("reject", "arg#0 doesn't point to a map value", 7),
    "wq_wrong_offset": ("reject", "off 0 doesn't point to 'struct bpf_wq' that is at 8", 10),
    "wq_map_without_wq": ("reject", "map 'plain' has no valid bpf_wq", 10),
    "wq_variable_offset": ("reject", "R1 doesn't have constant offset. bpf_wq has to be at the "
                           "constant offset", 15),
    # key 0 of a 2-entry array: the lookup is never NULL
    "wq_maybe_null": ("accept", None, 12),
    # a sleepable program: the callback is walked with in_sleepable (push_async_cb())
    "wq_syscall_ok": ("accept", None, 29),
    "wq_syscall_cb_sleeps": ("accept", None, 30),
    "wq_syscall_cb_rcu": ("accept", None, 32),
    "wq_syscall_cb_returns_one": ("reject", "At async callback return the register R0 has "
                                  "smin=1 smax=1 should have been in [0, 0]", 22),
    # prog->sleepable decides, not the state: a timer callback may set a bpf_wq callback
    "wq_set_from_timer_cb": ("accept", None, 32),
    # set_timer_callback_state(): R3 is a value of the workqueue's map
    "wq_cb_value_is_its_maps": ("reject", "bpf_timer cannot be accessed directly by load/store",
                                31),
    # KF_ARG_PTR_TO_CALLBACK (the probed profile: "Possibly NULL pointer passed to trusted arg1")
    "wq_null_callback": ("reject", "arg1 expected pointer to func", 13),
    # check_map_access(): the value's bpf_wq is a special field
    "wq_read_directly": ("reject", "bpf_wq cannot be accessed directly by load/store", 8),
    # a callback that sets itself again (a negative pc-relative ld_imm64 of its own address)
    "wq_rearms": ("accept", None, 86),
    # map_uid tells an outer map's inner maps apart: not modelled, never a guess (the kernel
    # accepts this one)
    "wq_in_inner_map": ("unsupported", "a bpf_wq in an inner map (its map_uid) is not "
                        "modelled", 18),
}

#: wq_failures.bpf.o programs the loader cannot load here (libbpf: a bpf_testmod kfunc is
#: missing from this kernel) whose own expected messages (__msg) kfunclab can still check
SELFTESTS_MSGS = {
    "test_wq_init_nomap": "pointer in R2 isn't map pointer",
    "test_wq_init_wrong_map": _MISMATCH,
}


def _mask(message: str | None) -> str | None:
    return re.sub(r"(bpf_wq_set_callback_impl)#\d+", r"\1#N", message) if message else message


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (HAVE_CLANG and HAVE_LIBBPF):
        pytest.skip("clang or libbpf-dev (bpf/bpf_helpers.h) is missing")
    folder = tmp_path_factory.mktemp("wq") / "obj"
    folder.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        obj = cc.compile_text(SOURCE.read_text(), "cell.bpf.c", btf="bundled")
        shutil.copy(obj.path, folder / "wq.bpf.o")
    return folder / "wq.bpf.o"


def _answers(path: Path, **options: object) -> dict[str, tuple[str, str | None, int]]:
    from kfunclab.elf import verify_object

    return {r.program: (r.result.verdict.value,
                        _mask(r.result.error.message if r.result.error else None),
                        r.result.stats.processed_insns)
            for r in verify_object(path, **options) if r.result is not None}


@needs_clang
def test_wq_rules_match_linux_6_18(compiled: Path) -> None:
    assert _answers(compiled, btf="bundled") == EXPECTED


@needs_clang
def test_the_sleepable_callback_refusal_names_its_reason(compiled: Path) -> None:
    from kfunclab.elf import verify_object

    got = {r.program: r.result for r in verify_object(compiled, btf="bundled")}
    error = got["wq_ok"].error
    assert error is not None and error.insn == 21 and error.errno == 1  # EPERM
    assert "sleepable callback in a program that is not sleepable" in error.context


@needs_clang
def test_wq_rules_match_the_running_kernel(compiled: Path, tmp_path: Path,
                                           live_profile: object) -> None:
    kernel = kernel_answers(compiled.parent, tmp_path)
    if any(v["verdict"] not in ("accept", "reject") for v in kernel.values()):
        pytest.skip(f"the kernel did not judge every program: {kernel}")
    got = _answers(compiled, profile=live_profile)
    assert set(got) == set(EXPECTED)
    for program, answer in got.items():
        want = kernel[f"obj/{compiled.name}:{program}"]
        if answer[0] == "unsupported":
            assert want["verdict"] == "accept", program
            continue
        assert answer == (want["verdict"], _mask(want.get("error")),
                          want["processed_insns"]), program


def test_a_callback_address_before_its_load_decodes_negative() -> None:
    from kfunclab.isa.encoding import decode, encode
    from kfunclab.isa.insn import Imm64Kind, LoadImm64

    insn = LoadImm64(dst=2, imm=-11, kind=Imm64Kind.FUNC)
    assert decode(encode(insn))[0] == insn  # insn[0].imm alone, as check_ld_imm64() reads it


def test_wq_failures_selftests_messages() -> None:
    path = OBJ_DIR / "wq_failures.bpf.o"
    if not path.is_file():
        pytest.skip(f"no built selftests corpus in {OBJ_DIR}")
    got = _answers(path, log_level=0)
    for program, message in SELFTESTS_MSGS.items():
        assert got[program][:2] == ("reject", message), program
