"""Reference lifetimes along one path: what happened to each acquired reference, and where.

One row per reference id that the path carried; the x axis is the order of instructions on the
path, labelled with their indices. Markers say what happened (acquired, NULL-checked, copied,
spilled, filled, passed, released, moved to map, leaked) and their labels name the register or
stack slot holding the reference at that point. A leak is red and says where.

>>> from kfunclab.verifier import verify_text
>>> result = verify_text('# SEC("xdp")\\n r0 = 2\\n exit\\n')
>>> fig = draw_ref_lifetimes(result)
>>> "no references" in fig.axes[0].texts[-1].get_text()
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kfunclab.isa.program import Program
from kfunclab.verifier.result import RefEventKind, RefLifetime, VerificationResult
from kfunclab.viz import style
from kfunclab.viz.layout import CHAR_WIDTH
from kfunclab.viz.paths import (
    PlacedEvent,
    Position,
    default_path_id,
    full_path,
    ref_events_on_path,
)
from kfunclab.viz.text import c_line_of

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# kind -> (matplotlib marker, colour, filled)
MARKERS: dict[RefEventKind, tuple[str, str, bool]] = {
    RefEventKind.ACQUIRED: (">", style.HELD, True),
    RefEventKind.NULL_CHECKED: ("D", "#17a2b8", True),
    RefEventKind.NULL_BRANCH: ("D", style.MUTED, False),
    RefEventKind.COPIED: ("o", style.HELD, False),
    RefEventKind.SPILLED: ("v", "#c27c0e", True),
    RefEventKind.FILLED: ("^", "#c27c0e", True),
    RefEventKind.PASSED: ("s", "#555555", False),
    RefEventKind.RELEASED: ("o", style.RELEASED, True),
    RefEventKind.MOVED_TO_MAP: ("*", style.BACK, True),
    RefEventKind.LEAKED: ("X", style.REJECTED, True),
}
# events after which the path no longer holds the reference
_ENDS = (RefEventKind.RELEASED, RefEventKind.MOVED_TO_MAP, RefEventKind.NULL_BRANCH,
         RefEventKind.LEAKED)
LABEL_ANGLE = 35.0
LEFT_PAD = 10.0


@dataclass(frozen=True)
class RefRow:
    """One reference's row: its events placed on the path, and how its lifetime ends."""

    lifetime: RefLifetime
    events: tuple[PlacedEvent, ...]
    end: int  # position where the path stops holding it (or the last position)
    ended_by: RefEventKind | None

    @property
    def leaked(self) -> bool:
        return self.ended_by is RefEventKind.LEAKED

    @property
    def title(self) -> str:
        lt = self.lifetime
        return f"ref id={lt.ref_id}\n{lt.acquired_by or lt.kind}\nacquired at insn {lt.acquired_at}"


def ref_rows(result: VerificationResult, path_id: int) -> tuple[RefRow, ...]:
    """The references path ``path_id`` carried, in order of acquisition (no matplotlib)."""
    last = len(full_path(result, path_id)) - 1
    rows = []
    for lifetime in result.references:
        events = ref_events_on_path(result, lifetime, path_id)
        if not events:
            continue
        end = next((p for p in events if p.event.kind in _ENDS), None)
        rows.append(RefRow(lifetime, events, end.position if end else last,
                           end.event.kind if end else None))
    return tuple(sorted(rows, key=lambda r: (r.events[0].position, r.lifetime.ref_id)))


def event_label(events: list[PlacedEvent], positions: tuple[Position, ...],
                program: Program | None = None) -> str:
    """``"copied R8"``, ``"passed R1 · released"``, ``"leaked at insn 18"``; with a ``program``
    built from C, acquisitions and leaks name their C line (``"acquired R0 @ prog.c:42"``)."""
    parts = []
    for p in events:
        e = p.event
        insn = positions[p.position].insn
        if e.kind is RefEventKind.LEAKED:
            text = f"leaked at insn {insn}"
        else:
            text = f"{e.kind.value} {e.where}".strip()
        if program is not None and e.kind in (RefEventKind.ACQUIRED, RefEventKind.LEAKED):
            record = c_line_of(program, insn) if 0 <= insn < len(program.insns) else None
            if record is not None:
                text += f" @ {record[0]}:{record[1]}"
        parts.append(text)
    return " · ".join(parts)


def columns(n: int, rows: tuple[RefRow, ...], limit: int = 60) -> list[int | tuple[int, int]]:
    """The x axis: a position index per column, or ``(first, last)`` for a run of positions
    where nothing happens (shown as one ``…`` column), once a path is longer than ``limit``.

    >>> columns(4, ())
    [0, 1, 2, 3]
    """
    if n <= limit:
        return list(range(n))
    key = {0, n - 1}
    for row in rows:
        for p in row.events:
            key |= {p.position - 1, p.position, p.position + 1}
    out: list[int | tuple[int, int]] = []
    prev = -1
    for k in sorted(i for i in key if 0 <= i < n):
        if k > prev + 1:
            out.append((prev + 1, k - 1))
        out.append(k)
        prev = k
    return out


def draw_ref_lifetimes(result: VerificationResult, *, path_id: int | None = None) -> Figure:
    """A timeline per reference id along one path (default: the rejected path, else the
    longest one).

    Each row's bar runs from where the reference was acquired to where the path stopped holding
    it (released, moved to a map, NULL on this branch), or to the end of the path; a leaked
    reference's bar, marker and label (``leaked at insn N``) are red.
    """
    if path_id is None:
        path_id = default_path_id(result)
    positions = full_path(result, path_id)
    rows = ref_rows(result, path_id)
    cols = columns(len(positions), rows)
    dx = 22.0
    x_of = {c: (k + 0.5) * dx for k, c in enumerate(cols) if isinstance(c, int)}
    label_w = max([len(line) for r in rows for line in r.title.splitlines()] + [14]) \
        * CHAR_WIDTH * style.FONT_SIZE + 2 * LEFT_PAD
    program = result.program
    heights = [_row_height(r, positions, program) for r in rows]
    head, foot = 58.0, 40.0
    tail = max([len(event_label([r.events[-1]], positions, program)) for r in rows] + [10]) \
        * CHAR_WIDTH * style.FONT_SIZE
    width = max(label_w + len(cols) * dx + tail + 20, 420.0)
    height = head + sum(heights) + foot if rows else 120.0
    fig = style.new_figure(width, height)
    ax = style.point_axes(fig, (0, 0, 1, 1), (0, width), (0, height))
    _header(ax, result, path_id, positions, len(rows))
    if not rows:
        ax.text(LEFT_PAD, head + 20, f"no references acquired on path #{path_id}",
                fontsize=style.FONT_SIZE + 1, va="top", color=style.HEADER)
        return fig
    y = head
    for k, (row, h) in enumerate(zip(rows, heights, strict=True)):
        if k % 2:
            _shade(ax, label_w - 6, y, width, h)
        _draw_row(ax, row, positions, {p: label_w + x for p, x in x_of.items()}, top=y,
                  height=h, program=program)
        y += h
    _axis(ax, positions, cols, x0=label_w, dx=dx, top=head, bottom=y)
    return fig


def _shade(ax: Axes, x: float, y: float, width: float, height: float) -> None:
    from matplotlib.patches import Rectangle

    ax.add_artist(Rectangle((x, y), width - x, height, fc="#f5f5f5", ec="none", zorder=0))


def _row_height(row: RefRow, positions: tuple[Position, ...], program: Program) -> float:
    """Room for the longest rotated label above the bar."""
    longest = max(len(event_label(g, positions, program)) for g in _groups(row).values())
    rise = longest * CHAR_WIDTH * style.SMALL * math.sin(math.radians(LABEL_ANGLE))
    return max(54.0, rise + 34.0)


def _groups(row: RefRow) -> dict[int, list[PlacedEvent]]:
    groups: dict[int, list[PlacedEvent]] = {}
    for p in row.events:
        groups.setdefault(p.position, []).append(p)
    return groups


def _header(ax: Axes, result: VerificationResult, path_id: int,
            positions: tuple[Position, ...], count: int) -> None:
    seg = result.path(path_id)
    how = seg.end.value + (f" at insn {seg.end_insn}" if seg.end_insn is not None else "")
    ax.text(LEFT_PAD, 8, f"References along path #{path_id} ({len(positions)} insns, {how})",
            fontsize=style.FONT_SIZE + 1.5, weight="bold", va="top", family=style.MONO)
    if seg.error is not None:
        ax.text(LEFT_PAD, 24, seg.error.message, fontsize=style.FONT_SIZE, va="top",
                color=style.REJECTED, family=style.MONO)
    others = len(result.references) - count
    if others > 0:
        ax.text(LEFT_PAD, 38, f"{others} other reference(s) not on this path",
                fontsize=style.SMALL, va="top", color=style.MUTED)


def _draw_row(ax: Axes, row: RefRow, positions: tuple[Position, ...], x_of: dict[int, float],
              *, top: float, height: float, program: Program) -> None:
    y = top + height - 18.0  # the bar sits low; labels rise above it
    colour = style.REJECTED if row.leaked else style.HELD
    ax.text(LEFT_PAD, y, row.title, fontsize=style.FONT_SIZE, family=style.MONO, va="center",
            color=colour, weight="bold" if row.leaked else "normal")
    ax.plot([x_of[row.events[0].position], x_of[row.end]], [y, y], color=colour,
            lw=4 if row.leaked else 3, alpha=0.35, zorder=1, solid_capstyle="butt")
    for pos, group in _groups(row).items():
        x = x_of[pos]
        for k, p in enumerate(group):  # events at one instruction side by side
            marker, mcolour, filled = MARKERS[p.event.kind]
            size = 11 if p.event.kind is RefEventKind.LEAKED else 7
            ax.plot([x + (k - (len(group) - 1) / 2) * 7], [y], marker=marker, ms=size,
                    mec=mcolour, mfc=mcolour if filled else "white", mew=1.3, zorder=3 + k,
                    ls="none", label=p.event.kind.value)
        text = event_label(group, positions, program)
        if any(p.event.kind is RefEventKind.LEAKED for p in group):
            ax.text(x + 9, y, text, fontsize=style.FONT_SIZE + 1, color=style.REJECTED,
                    weight="bold", va="center", ha="left", zorder=5, gid="leak-label")
        else:
            ax.text(x - 2, y - 9, text, fontsize=style.SMALL, rotation=LABEL_ANGLE,
                    rotation_mode="anchor", va="bottom", ha="left", color=style.HEADER,
                    family=style.MONO, zorder=5)


def _axis(ax: Axes, positions: tuple[Position, ...], cols: list[int | tuple[int, int]], *,
          x0: float, dx: float, top: float, bottom: float) -> None:
    """Instruction indices under the rows, ``…`` for runs of instructions where nothing
    happened to any reference, and light guides."""
    for k, col in enumerate(cols):
        x = x0 + (k + 0.5) * dx
        if isinstance(col, tuple):
            ax.text(x, bottom + 4, "…", fontsize=style.FONT_SIZE, ha="center", va="top",
                    color=style.MUTED)
            ax.text(x, bottom + 14, f"({col[1] - col[0] + 1})", fontsize=style.SMALL,
                    ha="center", va="top", color=style.MUTED)
            continue
        ax.plot([x, x], [top, bottom], color="#e6e6e6", lw=0.6, zorder=0)
        ax.text(x, bottom + 4, str(positions[col].insn), fontsize=style.SMALL, ha="center",
                va="top", family=style.MONO, color=style.HEADER)
    ax.text(x0, bottom + 26, "instruction index, in the order this path processed them"
            + (" (… (n): n instructions with no reference event)" if any(
                isinstance(c, tuple) for c in cols) else ""),
            fontsize=style.SMALL, va="top", color=style.MUTED)
