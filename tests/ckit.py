"""What the tests of C rule programs share: where the selftests corpus is, whether clang and the
libbpf headers are here, and the running kernel's answers through the corpus's own loader.

C programs whose maps hold special fields (list heads, rb roots, struct_ops) cannot be loaded by
``kfunclab.kernel`` (it builds program BTF from program files only), so these tests ask the
kernel the way the selftests do: ``../shared/selftests/load.py`` (libbpf, load only).
"""

from __future__ import annotations

import ctypes.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from kfunclab import cc

HERE = Path(__file__).resolve().parent
SHARED = next((p for p in (HERE.parents[1] / "shared", Path("/work/shared")) if p.is_dir()),
              Path("../shared"))
CORPUS = SHARED / "selftests"
OBJ_DIR = Path(os.environ.get("KFL_SELFTESTS_OBJ", f"/tmp/kfl-selftests-obj-{os.getuid()}"))

HAVE_CLANG = any(shutil.which(n) for n in cc.CLANG_NAMES)
HAVE_LIBBPF = any((d / "bpf" / "bpf_helpers.h").is_file() for d in cc.LIBBPF_DIRS)
needs_clang = pytest.mark.skipif(not (HAVE_CLANG and HAVE_LIBBPF),
                                 reason="clang or libbpf-dev (bpf/bpf_helpers.h) is missing")


def why_no_loader() -> str | None:
    """Why the corpus's loader cannot ask the running kernel here, or None."""
    if os.geteuid() != 0:
        return "asking the kernel needs root (bpf())"
    if not (CORPUS / "load.py").is_file():
        return f"no selftests loader at {CORPUS}/load.py"
    if not Path("/sys/kernel/btf/vmlinux").is_file():
        return "no kernel BTF (/sys/kernel/btf/vmlinux)"
    build = Path(os.environ.get("KFL_SELFTESTS_BUILD", "/tmp/kfl-selftests-build"))
    if not (build / "libbpf" / "libbpf.so.1").is_file() and not ctypes.util.find_library("bpf"):
        return "no libbpf.so.1 for the selftests loader (apt-get install libbpf1)"
    return None


def kernel_answers(folder: Path, tmp_path: Path) -> dict[str, dict]:
    """The running kernel's answers for every object in ``folder`` (``load.py``'s records, key
    ``obj/NAME.bpf.o:PROGRAM``); skips the test where the kernel cannot be asked."""
    why = why_no_loader()
    if why:
        pytest.skip(why)
    out = tmp_path / "answers.json"
    done = subprocess.run([sys.executable, "load.py", "--obj-dir", str(folder),
                           "--out", str(out), "--meta", str(tmp_path / "meta.json")],
                          cwd=CORPUS, capture_output=True, text=True, timeout=600)
    if done.returncode or not out.is_file():
        pytest.skip(f"the selftests loader could not ask the kernel: {done.stderr[-500:]}")
    return json.loads(out.read_text())


def corpus_answers(objects: Iterable[str]) -> dict[str, dict]:
    """The kernel's recorded answers for the built selftests corpus (this machine's recording
    first, see test_selftests_corpus.py); skips where the corpus or an object is missing."""
    answers = OBJ_DIR / f"expected-{os.uname().release}.json"
    if not answers.is_file():
        answers = OBJ_DIR / "expected.json"
    if not answers.is_file() or not all((OBJ_DIR / o).is_file() for o in objects):
        pytest.skip(f"no built selftests corpus with the kernel's answers in {OBJ_DIR}")
    return json.loads(answers.read_text())
