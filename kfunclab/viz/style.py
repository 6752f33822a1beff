"""Colours, fonts and the figure factory every picture shares.

matplotlib is imported inside :func:`new_figure` only, so importing :mod:`kfunclab.viz` stays
cheap and works without it. Figures are plain :class:`matplotlib.figure.Figure` objects (no
pyplot state): they render headless with Agg, save with ``fig.savefig`` and show in notebooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MONO = "DejaVu Sans Mono"  # ships with matplotlib, so text widths are predictable
FONT_SIZE = 8.0
SMALL = 7.0  # the smallest text any picture uses

REJECTED = "#d62728"  # the rejected path, the failing instruction, a leak
REJECTED_FILL = "#ffd9d6"
NOTE_FILL = "#fff4f2"
TAKEN = "#2b8a3e"  # a conditional jump's taken edge ("T")
FALLTHROUGH = "#1f5fa8"  # ... and its fall-through edge ("F")
PLAIN = "#555555"  # goto and block-to-block fall-through
BACK = "#8e44ad"  # back edges (loops)
CALL = "#888888"
PRUNED = "#0b7a75"  # a state found equivalent to a checkpoint
BOX_EDGE = "#444444"
HEADER = "#333333"
MUTED = "#8a8a8a"
HEAT_MAP = "YlOrBr"
RELEASED = "#2b8a3e"
HELD = "#4c72b0"


def new_figure(width_pt: float, height_pt: float, dpi: float = 100.0) -> Figure:
    """A Figure of ``width_pt`` x ``height_pt`` points (1/72 in), not registered with pyplot."""
    from matplotlib.figure import Figure

    return Figure(figsize=(max(width_pt, 72.0) / 72.0, max(height_pt, 72.0) / 72.0), dpi=dpi)


def point_axes(fig: Figure, rect: tuple[float, float, float, float],
               xlim: tuple[float, float], ylim: tuple[float, float]) -> Axes:
    """Axes over ``rect`` (figure fractions) whose data units are points, y growing downwards:
    text sized in points then fits boxes measured in points."""
    ax = fig.add_axes(rect)
    ax.set_xlim(*xlim)
    ax.set_ylim(ylim[1], ylim[0])
    ax.set_axis_off()
    return ax
