"""What every kfunclab widget shares: the ipywidgets import, display, pictures, CSS classes.

A kfunclab widget is a plain object holding ``.widget`` (an ipywidgets box) and displaying as
it; ipywidgets is imported when a widget is built, never when the package is imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any


def ipywidgets() -> ModuleType:
    """The ipywidgets module, or an ImportError that says what to install."""
    try:
        import ipywidgets as w
    except ImportError as exc:  # pragma: no cover - exercised only without ipywidgets
        raise ImportError("kfunclab widgets need ipywidgets 8: pip install 'ipywidgets>=8.1' "
                          "(the HTML views in kfunclab.viz.html work without it)") from exc
    return w


def classed(widget: Any, *classes: str) -> Any:
    """``widget`` with CSS ``classes`` added (browser tests select on them)."""
    for cls in classes:
        widget.add_class(cls)
    return widget


#: keeps long descriptions ("local_type_id", "program") from being cut to a fixed width
WIDE = {"description_width": "initial"}


def set_picture(image: Any, png: bytes | None) -> None:
    """Show ``png`` in an Image widget, or hide the widget when there is no picture."""
    if png:
        image.value = png
        image.layout.display = None
    else:
        image.value = b""
        image.layout.display = "none"


class WidgetView:
    """Base of the kfunclab widgets: ``.widget`` is the ipywidgets box shown for this object."""

    widget: Any

    def __init__(self) -> None:
        self._quiet = 0

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        data = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(data, dict):  # the box's own text is a long, truncated repr
            data["text/plain"] = repr(self)
        return data

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    @contextmanager
    def _hold(self) -> Iterator[None]:
        """Change several controls with one re-render at the end, not one per change."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    @property
    def _holding(self) -> bool:
        return self._quiet > 0
