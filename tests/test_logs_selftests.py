"""Every Linux selftest program the kernel rejects, its level-2 log read by read_log.

The corpus (``../shared/selftests``: objects built by build.sh, the kernel's answers in
expected.json) is loaded again program by program with the selftests' own loader (load.py's
libbpf child), so each log is this kernel's. About a minute: it lives in its own file so a quick
run can leave it out (``--deselect`` or ``-k 'not selftest'``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kfunclab.logs import read_log

SHARED = next((p for p in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared"))
               if p.is_dir()), Path("../shared"))


@pytest.fixture(scope="module")
def live():
    from kfunclab.kernel import kernel_available

    ok, why = kernel_available()
    if not ok:
        pytest.skip(why)

def _selftests() -> tuple[Path, Path, Path, Path] | str:
    """(load.py, the objects, their expected.json, libbpf.so.1), or why they are missing."""
    import os

    loader = SHARED / "selftests" / "load.py"
    dirs = [Path(p) for p in (os.environ.get("KFL_SELFTESTS_OBJ", ""), "/work/selftests-obj",
                              str(SHARED / "selftests" / "obj")) if p]
    # expected.json beside the objects (a build elsewhere), else the shipped one
    pairs = [(d, d / "expected.json" if (d / "expected.json").is_file()
              else SHARED / "selftests" / "expected.json") for d in dirs
             if d.is_dir() and any(d.glob("*.bpf.o"))]
    obj = next((pair for pair in pairs if pair[1].is_file()), None)
    builds = [Path(p) for p in (os.environ.get("KFL_SELFTESTS_BUILD", ""),
                                "/tmp/kfl-selftests-build", "/work/selftests-build") if p]
    lib = next((p / "libbpf" / "libbpf.so.1" for p in builds
                if (p / "libbpf" / "libbpf.so.1").is_file()), None)
    if not loader.is_file():
        return f"{loader} missing"
    if obj is None:
        return "the selftests corpus is not built (selftests/build.sh, then load.py)"
    if lib is None:
        return "libbpf 1.5 from selftests/build.sh not found (KFL_SELFTESTS_BUILD)"
    return loader, obj[0], obj[1], lib


@pytest.mark.kernel
def test_every_selftest_the_kernel_rejects_reads_back(live) -> None:
    """Each rejected selftest program, loaded again the selftests' way (load.py's libbpf
    loader, level 2): read_log gives the kernel's error line and processed count."""
    import importlib.util

    from kfunclab.kernel.verdict import error_line, summary_stats

    found = _selftests()
    if isinstance(found, str):
        pytest.skip(found)
    loader, obj_dir, expected_json, lib = found
    spec = importlib.util.spec_from_file_location("kfl_selftests_load", loader)
    assert spec is not None and spec.loader is not None
    load = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(load)
    libbpf = load.Libbpf(str(lib))
    expected = json.loads(expected_json.read_text())
    def ask(key: str) -> tuple[str, dict]:
        entry = expected[key]
        obj, prog = key.split(":", 1)
        return key, load.run_child(libbpf, str(obj_dir / Path(obj).name), prog,
                                   set(entry["aux_loaded"]), entry["log_level"],
                                   entry["prog_flags"], bool(entry["caps_dropped"]), 60)

    rejects = sorted(k for k, v in expected.items() if v["verdict"] == "reject")
    wrong, read, unparsed = [], 0, 0
    for key, answer in map(ask, rejects):  # one forked child per load, one at a time
        if answer.get("verdict") != "reject":  # this kernel or libbpf answers otherwise now
            continue
        text, errno = answer.get("log") or "", answer.get("errno") or 13
        log = read_log(text, errno=errno)
        stats = summary_stats(text)
        got = (log.error.message if log.error else None, log.stats.processed_insns)
        want = (error_line(text, errno), stats[0] if stats else 0)
        if got != want:
            wrong.append((key, got, want))
        read += 1
        unparsed += bool(log.unparsed)
    assert read > 0
    assert wrong == [], f"{len(wrong)} of {read} logs misread: {wrong[:5]}"
    assert unparsed <= read // 50, f"{unparsed} of {read} logs have lines kfunclab cannot read"
