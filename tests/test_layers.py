"""The layers import one way: isa -> kfuncs/btf/progtypes -> verifier -> views.

The verifier and everything below it must work without matplotlib and ipywidgets (Binder
kernels, the CLI, CI without a display): importing them and verifying a program must not load
either. Checked in a fresh interpreter, since this test process may have loaded them already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CORE = ["kfunclab.isa", "kfunclab.kfuncs", "kfunclab.btf", "kfunclab.progtypes",
        "kfunclab.verifier", "kfunclab.cli"]
VIEW_PACKAGES = ("matplotlib", "ipywidgets", "IPython")

PROBE = """
import json, sys
for name in {modules!r}:
    __import__(name)
from kfunclab.verifier import verify_text
verify_text('# SEC("syscall")\\n r1 = 1\\n call bpf_task_from_pid\\n r0 = 0\\n exit\\n',
            btf="bundled")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {views!r})))
"""


@pytest.mark.parametrize("module", CORE)
def test_core_layers_do_not_import_views(module: str) -> None:
    code = PROBE.format(modules=[module], views=VIEW_PACKAGES)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []


@pytest.mark.parametrize(("lower", "upper"), [
    ("kfunclab.isa", "kfunclab.verifier"),
    ("kfunclab.isa", "kfunclab.kfuncs"),
    ("kfunclab.kfuncs", "kfunclab.verifier"),
    ("kfunclab.btf", "kfunclab.verifier"),
    ("kfunclab.verifier", "kfunclab.viz"),
    ("kfunclab.verifier", "kfunclab.widgets"),
])
def test_lower_layers_do_not_import_upper_ones(lower: str, upper: str) -> None:
    code = (f"import sys, {lower}; "
            f"print(any(m == {upper!r} or m.startswith({upper!r} + '.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
