"""Level-1 logs of a few selftests programs, kfunclab's against the running kernel's.

One program per log rule of an object load (docs/logs.md): subprogram calls in a clang-built
object and libbpf's map names, a data-section map, an object whose BTF the kernel refuses,
global functions (the last ``Func#N`` line, the counters across walks), a refusal after the
walks. The kernel is asked through the corpus's own loader (``../shared/selftests/load.py``,
the system libbpf the corpus answers were recorded with); skips where the corpus, the
loader or the kernel is missing. ``scripts/log_score.py`` does the same for every program.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from kfunclab.logs.addresses import mask_kernel_addresses

SHARED = next((p for p in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared"))
               if p.is_dir()), Path("../shared"))
OBJ_DIR = Path(os.environ.get("KFL_SELFTESTS_OBJ", "/work/selftests-obj"))
PROGRAMS = [
    "cgrp_kfunc_failure.bpf.o:cgrp_kfunc_acquire_untrusted",  # call pc+8, __cgrps_kfunc_m
    "dynptr_fail.bpf.o:add_dynptr_to_map1",  # dynptr_f.bss
    "verifier_bounds.bpf.o:bounds_map_value_variant_1",  # BTF refused: no line_info
    "verifier_global_subprogs.bpf.o:arg_tag_ctx_raw_tp",  # Func#N ... is safe, counters
    "test_global_func1.bpf.o:global_func1",  # combined stack size ... after the walks
    "exceptions_fail.bpf.o:reject_exception_cb_call_global_func",  # runs into the summary
]


@pytest.fixture(scope="module")
def corpus():
    from kfunclab.kernel import kernel_available

    ok, why = kernel_available()
    if not ok:
        pytest.skip(why)
    loader = SHARED / "selftests" / "load.py"
    if not loader.is_file() or not (OBJ_DIR / "expected.json").is_file():
        pytest.skip(f"no selftests corpus ({loader}, {OBJ_DIR}/expected.json)")
    spec = importlib.util.spec_from_file_location("kfl_selftests_load_logs", loader)
    assert spec is not None and spec.loader is not None
    load = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(load)
    try:
        libbpf = load.Libbpf("libbpf.so.1")
    except OSError as exc:
        pytest.skip(f"libbpf.so.1: {exc}")
    return load, libbpf, json.loads((OBJ_DIR / "expected.json").read_text())


@pytest.mark.kernel
@pytest.mark.parametrize("key", PROGRAMS)
def test_level1_log_is_the_kernels(corpus, key: str) -> None:
    from kfunclab.cli import resolve_profile
    from kfunclab.elf import verify_object

    load, libbpf, expected = corpus
    obj, prog = key.split(":")
    entry = expected.get(f"obj/{key}")
    if entry is None or not (OBJ_DIR / obj).is_file():
        pytest.skip(f"{key} is not in this corpus")
    answer = load.run_child(libbpf, str(OBJ_DIR / obj), prog, set(entry["aux_loaded"]), 1,
                            entry["prog_flags"], bool(entry["caps_dropped"]), 60)
    if answer.get("verdict") != entry["verdict"]:
        pytest.skip(f"this kernel answers {answer.get('verdict')} now")
    (ours,) = verify_object(OBJ_DIR / obj, [prog], profile=resolve_profile("auto"),
                            log_level=1, max_recorded_steps=0)
    assert ours.result is not None
    assert ours.result.log + "\n" == mask_kernel_addresses(answer["log"])
