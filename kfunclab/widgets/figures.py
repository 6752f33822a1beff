"""Pictures for the widgets: the matplotlib views of :mod:`kfunclab.viz`, as PNG bytes.

The widgets show pictures in ``ipywidgets.Image`` widgets (a PNG in the model's ``value``), which
every front end renders and browser tests can watch change. The drawing functions
(``draw_cfg``, ``draw_ref_lifetimes``, ``draw_state_table``, ``draw_rejected_paths``) belong to
:mod:`kfunclab.viz`; when a function is not there, :func:`render_png` returns None and the
widgets show their HTML views alone.

>>> viz_function("no_such_drawing") is None
True
"""

from __future__ import annotations

import importlib
import io
import pkgutil
import sys
from collections.abc import Callable
from typing import Any

from kfunclab.errors import KfunclabError


def viz_function(name: str) -> Callable[..., Any] | None:
    """``kfunclab.viz.<name>``, or the first ``kfunclab.viz`` submodule's ``name``; else None.

    Looked up on every call (cheap after the first import), so drawing functions that appear
    while a notebook runs are picked up.
    """
    import kfunclab.viz as viz

    found = getattr(viz, name, None)
    if callable(found):
        return found
    for info in pkgutil.iter_modules(viz.__path__):
        if info.name == "html":
            continue
        try:
            module = importlib.import_module(f"kfunclab.viz.{info.name}")
        except ImportError:
            continue
        found = getattr(module, name, None)
        if callable(found):
            return found
    return None


def figure_png(fig: Any, dpi: int = 96) -> bytes:
    """A matplotlib Figure as PNG bytes; the figure is closed (no pyplot state is left)."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    finally:
        # a figure made through pyplot would otherwise be shown again at the end of the cell;
        # kfunclab.viz makes plain Figures, and pyplot is not imported just to close nothing
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.close(fig)
    return buf.getvalue()


def render_png(name: str, *args: Any, **kwargs: Any) -> bytes | None:
    """Draw with ``kfunclab.viz.<name>(*args, **kwargs)`` and return PNG bytes.

    None when the drawing function does not exist, or declines the request with a
    kfunclab error (e.g. a path id the result lacks).
    """
    func = viz_function(name)
    if func is None:
        return None
    try:
        fig = func(*args, **kwargs)
    except KfunclabError:
        return None
    fig = getattr(fig, "figure", fig)  # an Axes was returned: its figure
    return figure_png(fig) if hasattr(fig, "savefig") else None

