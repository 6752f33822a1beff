"""The checks the browser tests make, on made-up page readings: no browser needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .notebook import HAVE_CLANG, STDERR, WIDGET_ERROR, cell_problems, expectations, widget_call


@pytest.mark.parametrize(("source", "widget"), [
    ("StateExplorer(result)", "StateExplorer"),
    ("x = 1\ndisplay(RejectedPaths(r))", "RejectedPaths"),
    ('KfuncPlayground("""\\\n# SEC("syscall")\n\texit""", "bpf_task_from_pid")',
     "KfuncPlayground"),
    ("pg = KfuncPlayground(text, 'f')", None),       # an assignment displays nothing
    ("StateExplorer(r)\nx = 1", None),                # nor does a call before the last line
    ("%%bpf syscall\n\tr0 = 0\n\texit", None),      # a magic cell is not Python
    ("draw_cfg(result)", None),
    ("StateExplorer(", None),                         # a syntax error displays nothing
])
def test_widget_call(source: str, widget: str | None) -> None:
    assert widget_call(source) == widget


def _code(source: str, outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"cell_type": "code", "source": source, "metadata": {}, "outputs": outputs or [],
            "execution_count": None}


def test_expectations_read_pictures_and_widgets(tmp_path: Path) -> None:
    png = {"output_type": "display_data", "data": {"image/png": "iVBO", "text/plain": "<img>"},
           "metadata": {}}
    text = {"output_type": "execute_result", "execution_count": 1, "metadata": {},
            "data": {"text/plain": "<RejectedPaths>"}}
    nb = {"cells": [{"cell_type": "markdown", "source": "# title", "metadata": {}},
                    _code("%%bpf syscall\n\tr0 = 0\n\texit", [png, png]),
                    _code("   \n"),
                    _code("RejectedPaths(r)", [text]),
                    _code("StateExplorer(r)")],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    got = [(e.index, e.runs, e.images, e.widgets) for e in expectations(path)]
    assert got == [(0, False, 0, ()), (1, True, 2, ()), (2, False, 0, ()),
                   (3, True, 0, ("RejectedPaths",)), (4, True, 0, ("StateExplorer",))]
    assert expectations(path)[1].where == "cell 1 ('%%bpf syscall')"


CLEAN = {"code": True, "prompt": "[4]:", "stderr": [], "images": [{"loaded": True}],
         "brokenImages": 0, "widgetViews": 1, "widgetErrors": 0,
         "drawnBoxes": ["kfunclab-explorer"],
         "texts": [""], "placeholders": []}


@pytest.mark.parametrize(("change", "words"), [
    ({}, None),
    ({"prompt": "[ ]:"}, "not run, its prompt is '[ ]:'"),
    ({"stderr": ["Traceback\n  File x\nZeroDivisionError: division by zero"]},
     f"error output ({STDERR}): Traceback ... ZeroDivisionError: division by zero"),
    ({"images": []}, "0 picture(s) drawn, the notebook stores 1"),
    ({"images": [{"loaded": False}]}, "0 picture(s) drawn"),
    ({"brokenImages": 1}, "1 image(s) failed to load"),
    ({"placeholders": ["Loading widget..."]}, "still shows 'Loading widget...'"),
    ({"widgetErrors": 1}, f"1 widget view(s) failed in the browser ({WIDGET_ERROR}"),
    ({"drawnBoxes": []}, "StateExplorer not drawn (no .jupyter-widgets.kfunclab-explorer"),
    ({"texts": ["<StateExplorer path 0 step 0 insn 0>"], "widgetViews": 0},
     "StateExplorer shown as its text"),
])
def test_cell_problems_name_cell_and_selector(change: dict[str, Any], words: str | None,
                                              tmp_path: Path) -> None:
    nb = {"cells": [_code("x = 1"), _code("StateExplorer(r)", [
        {"output_type": "display_data", "data": {"image/png": "iVBO"}, "metadata": {}}])],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    expect = expectations(path)[1]
    problems = cell_problems(expect, {**CLEAN, **change})
    if words is None:
        assert problems == []
    else:
        assert problems and all(p.startswith("cell 1 ('StateExplorer(r)'): ") for p in problems)
        assert any(words in p for p in problems), problems


@pytest.mark.skipif(not HAVE_CLANG, reason="without clang the C cells show a message instead")
def test_a_c_cell_must_show_its_c_lines(tmp_path: Path) -> None:
    html = {"output_type": "display_data", "metadata": {}, "data": {
        "text/html": '<tr class="kfunclab-c-line"><td>; if (!t) @ cell.bpf.c:12</td></tr>',
        "text/plain": "first_c: reject"}}
    nb = {"cells": [_code("%%bpf_c -n first_c\nint x;", [html])],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    (expect,) = expectations(path)
    assert expect.c_lines
    clean = {**CLEAN, "images": [], "drawnBoxes": [], "widgetViews": 0}
    assert cell_problems(expect, {**clean, "cLines": ["; if (!t) @ cell.bpf.c:12"]}) == []
    problems = cell_problems(expect, {**clean, "cLines": []})
    assert len(problems) == 1 and "no C source line (.kfunclab-c-line" in problems[0]
