"""Every notebook in ``notebooks/``, run in JupyterLab the way a learner runs it.

Open it, Run → Run All Cells, wait until every cell has run, then check what the page shows:
no error output, every widget drawn (no "Loading widget..." left, no widget fallen back to its
text), every picture the ``.ipynb`` stores drawn again, C source lines (``; text @ f.c:N``)
where a ``%%bpf_c`` cell stored them (every notebook must have one), no dialog. Notebooks are
found when the tests are collected, so a new notebook is covered without touching this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .notebook import (
    DIALOG,
    NOTEBOOKS,
    RUN_TIMEOUT,
    cell_problems,
    expectations,
    kernelspec_name,
)

pytestmark = pytest.mark.browser

NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.skipif(not NAMES, reason="no notebooks in notebooks/ yet")
@pytest.mark.parametrize("name", NAMES or ["(none)"])
def test_notebook_runs_clean_in_jupyterlab(name: str, open_notebook: Any) -> None:
    path = NOTEBOOKS / name
    assert kernelspec_name(path), (f"{name}: no metadata.kernelspec, so JupyterLab asks the "
                                   "learner to pick a kernel")
    expect = expectations(path)
    # every notebook shows one of its programs as C (01 starts from it): its stored views
    # carry C source lines, which the page must show again
    assert any(e.c_lines for e in expect), (f"{name}: no cell stores C source lines "
                                            "(kfunclab-c-line): run it where clang is")
    nb = open_notebook(f"notebooks/{name}")  # fails on a dialog (a kernel picker) at opening
    nb.run_all(RUN_TIMEOUT)
    nb.wait_for_widgets()
    shown = nb.cells()
    shot = nb.screenshot(Path(name).stem)
    problems = [f"{name}: a dialog ({DIALOG}) is open after Run All: {d}" for d in nb.dialogs()]
    if len(shown) != len(expect):
        problems.append(f"{name}: the page shows {len(shown)} cells, the file has {len(expect)}")
    else:
        for e, s in zip(expect, shown, strict=True):
            problems += [f"{name} {p}" for p in cell_problems(e, s)]
    if problems and nb.console_errors:
        problems.append(f"(browser console errors: {nb.console_errors[:3]})")
    assert not problems, "\n".join(problems) + f"\nscreenshot: {shot}"
