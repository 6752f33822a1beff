"""kfunclab.viz keeps matplotlib out until a picture is drawn, and never touches pyplot."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_kfunclab_viz_does_not_import_matplotlib():
    out = _run("""
        import sys
        import kfunclab.viz
        import kfunclab.viz.dot, kfunclab.viz.layout, kfunclab.viz.paths, kfunclab.viz.text
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("matplotlib", "ipywidgets")))
    """)
    assert out == "[]"


def test_drawing_never_imports_pyplot():
    pytest.importorskip("matplotlib")
    out = _run("""
        import sys
        import matplotlib
        matplotlib.use("Agg")
        from kfunclab.verifier import verify_text
        from kfunclab.viz import draw_cfg, draw_ref_lifetimes, draw_state_table
        result = verify_text('# SEC("xdp")\\n r0 = 2\\n exit\\n')
        for fig in (draw_cfg(result), draw_ref_lifetimes(result), draw_state_table(result)):
            fig.savefig("/dev/null", format="png")
        print("matplotlib.pyplot" in sys.modules)
    """)
    assert out == "False"
