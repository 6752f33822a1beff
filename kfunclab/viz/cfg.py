"""The control-flow graph as a matplotlib picture: blocks, edges, the rejected path, heat.

``draw_cfg`` lays the blocks out in layers (:mod:`kfunclab.viz.layout`), draws each block as a
box of numbered instructions, fall-through (``F``) and taken (``T``) edges in their own colours,
back edges up a channel on the right, the rejected path in red with the failing instruction
marked and the kernel's message beside it, where states were pruned, and, with ``heat=True``,
how often the verifier processed each instruction.

>>> from kfunclab.verifier import verify_text
>>> text = '# SEC("xdp")\\n if r1 == 0 goto out\\n r0 = 1\\nout:\\n r0 = 2\\n exit\\n'
>>> result = verify_text(text)
>>> fig = draw_cfg(result, heat=True)
>>> sum(p.get_gid() == "block" for p in fig.axes[0].patches)  # three blocks
3
"""

from __future__ import annotations

import functools
import itertools
import math
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kfunclab.verifier.cfg import Cfg, build_cfg
from kfunclab.verifier.result import Diagnostic, VerificationResult
from kfunclab.viz import style
from kfunclab.viz.layout import CHAR_WIDTH, LINE_HEIGHT, PAD, Box, CfgLayout, Route, layout_cfg
from kfunclab.viz.paths import ViewError, full_path
from kfunclab.viz.text import BoxLine, Syntax, block_lines, insn_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap
    from matplotlib.figure import Figure

NOTE_GAP = 36.0  # between the drawing and the failing instruction's note
NOTE_CHARS = 76  # wrap width of the note: most kernel messages fit on one line


@dataclass(frozen=True)
class CfgView:
    """Everything one CFG picture shows, computed before any drawing."""

    layout: CfgLayout
    path_edges: frozenset[tuple[int, int]]  # (tail block start, head block start)
    path_blocks: frozenset[int]  # block starts
    failing: int | None
    note: str  # the failing instruction and the kernel's message
    pruned: dict[int, int]  # insn -> prune events
    visits: dict[int, int] | None  # heat
    title: str

    @property
    def note_width(self) -> float:
        if not self.note:
            return 0.0
        chars = max(len(line) for line in self.note.splitlines())
        return NOTE_GAP + chars * CHAR_WIDTH * style.FONT_SIZE + 16.0

    @property
    def note_height(self) -> float:
        lines = len(self.note.splitlines())
        return lines * 1.2 * style.FONT_SIZE + style.FONT_SIZE + 4.0 if lines else 0.0


def draw_cfg(cfg_or_result: Cfg | VerificationResult, *,
             highlight_path: Sequence[int] | int | None = None, failing_insn: int | None = None,
             heat: bool = False, show_pruned: bool = True, max_lines_per_block: int = 14,
             syntax: Syntax = "llvm", title: str | None = None) -> Figure:
    """Draw the CFG of a program (a :class:`Cfg`, or a result whose program it draws).

    Parameters
    ----------
    highlight_path : instruction indices, or an explored path id
        Drawn in red. Default for a rejected result: the rejected path.
    failing_insn : int, optional
        Marked red, with the kernel's message beside it. Default: the rejected instruction.
    heat : bool
        Shade each instruction by how often the verifier processed it (``result.visits``).
    show_pruned : bool
        Tag instructions where a state was pruned (``result.prune_events``).
    max_lines_per_block : int
        Longer blocks show their first lines, ``… N more`` and their last line.
    syntax : "llvm" or "kernel"
        Instruction text as written in program files, or as the verifier log prints it.

    >>> from kfunclab.isa.parser import parse_program
    >>> cfg = build_cfg(parse_program('# SEC("xdp")\\n r0 = 0\\n exit\\n'))
    >>> [p.get_gid() for p in draw_cfg(cfg).axes[0].patches]  # one box, no edges
    ['block']
    """
    view = cfg_view(cfg_or_result, highlight_path=highlight_path, failing_insn=failing_insn,
                    heat=heat, show_pruned=show_pruned, max_lines=max_lines_per_block,
                    syntax=syntax, title=title)
    left, right, top, bottom = _margins(view)
    lay = view.layout
    width, height = left + lay.width + right, top + lay.height + bottom
    fig = style.new_figure(width, height)
    ax = style.point_axes(fig, (0, 0, 1, 1), (-left, lay.width + right),
                          (-top, lay.height + bottom))
    render_cfg(ax, view, legend_at=(-left + 8, -top + 4))
    return fig


def draw_rejected_paths(result: VerificationResult, *, max_panels: int = 6, columns: int = 3,
                        max_lines_per_block: int = 10, syntax: Syntax = "llvm") -> Figure:
    """One CFG per rejected path (``collect_all=True`` finds them all), side by side, each with
    its path in red and its failing instruction and message.

    >>> from kfunclab.verifier import verify_text
    >>> fig = draw_rejected_paths(verify_text('# SEC("xdp")\\n exit\\n'))
    >>> len(fig.axes)
    1
    """
    diags = result.rejected or ((result.error,) if result.error is not None else ())
    if not diags:
        fig = style.new_figure(360, 60)
        ax = style.point_axes(fig, (0, 0, 1, 1), (0, 360), (0, 60))
        ax.text(12, 30, "accepted: no rejected paths", va="center", family=style.MONO,
                fontsize=10, color=style.RELEASED)
        return fig
    shown = diags[:max_panels]
    views = [cfg_view(result, diagnostic=d, max_lines=max_lines_per_block, syntax=syntax,
                      title=f"rejected path {k + 1} of {len(diags)} (path #{d.path_id})")
             for k, d in enumerate(shown)]
    margins = [_margins(v) for v in views]
    left, right, top, bottom = (max(m[i] for m in margins) for i in range(4))
    lay = views[0].layout
    pw, ph = left + lay.width + right, top + lay.height + bottom
    cols = max(1, min(columns, len(views)))
    rows = -(-len(views) // cols)
    foot = 18.0 if len(diags) > len(shown) else 0.0
    fig = style.new_figure(cols * pw, rows * ph + foot)
    fw, fh = cols * pw, rows * ph + foot
    for k, view in enumerate(views):
        r, c = divmod(k, cols)
        rect = (c * pw / fw, 1 - (r + 1) * ph / fh, pw / fw, ph / fh)
        ax = style.point_axes(fig, rect, (-left, lay.width + right), (-top, lay.height + bottom))
        render_cfg(ax, view, legend_at=(-left + 8, -top + 4))
    if foot:
        fig.text(0.01, 0.5 * foot / fh, f"… {len(diags) - len(shown)} more rejected paths",
                 fontsize=style.FONT_SIZE, family=style.MONO, va="center")
    return fig


# --- what to show ------------------------------------------------------------------------------
def cfg_view(cfg_or_result: Cfg | VerificationResult, *,
             highlight_path: Sequence[int] | int | None = None, failing_insn: int | None = None,
             diagnostic: Diagnostic | None = None, heat: bool = False, show_pruned: bool = True,
             max_lines: int = 14, syntax: Syntax = "llvm", title: str | None = None) -> CfgView:
    """Lines, layout, path and marks of one CFG picture (no matplotlib)."""
    result = cfg_or_result if isinstance(cfg_or_result, VerificationResult) else None
    cfg = build_cfg(result.program) if result is not None else cfg_or_result
    if not isinstance(cfg, Cfg):
        raise ViewError(f"draw_cfg needs a Cfg or a VerificationResult, not {type(cfg).__name__}")
    if heat and result is None:
        raise ViewError("heat=True needs a VerificationResult (visit counts come from it)")
    diag = diagnostic or (result.error if result is not None else None)
    path = _path_insns(result, highlight_path, diag)
    failing = failing_insn if failing_insn is not None else (diag.insn if diag else None)
    if failing is not None and not 0 <= failing < len(cfg.program.insns):
        raise ViewError(f"failing_insn {failing} is outside the program "
                        f"(0..{len(cfg.program.insns) - 1})")
    pruned = Counter(e.insn for e in result.prune_events) if result and show_pruned else Counter()
    visits = dict(result.visits) if heat and result is not None else None
    lines = {b: _decorate(block_lines(cfg, b, syntax=syntax, max_lines=max_lines,
                                      keep={failing, *pruned} - {None}), pruned, visits)
             for b in cfg.blocks}
    layout = layout_cfg(cfg, lines, fontsize=style.FONT_SIZE)
    edges, blocks = _path_marks(cfg, path)
    note = _note(cfg, failing, diag, syntax) if failing is not None else ""
    return CfgView(layout, edges, blocks, failing, note, dict(pruned), visits,
                   title if title is not None else _title(cfg, result))


def _path_insns(result: VerificationResult | None, highlight: Sequence[int] | int | None,
                diag: Diagnostic | None) -> tuple[int, ...]:
    if isinstance(highlight, int):
        if result is None:
            raise ViewError("a path id needs a VerificationResult; pass instruction indices")
        return tuple(p.insn for p in full_path(result, highlight))
    if highlight is not None:
        return tuple(highlight)
    return diag.path if diag is not None else ()


def _path_marks(cfg: Cfg, path: Sequence[int]) -> tuple[frozenset[tuple[int, int]],
                                                         frozenset[int]]:
    n = len(cfg.program.insns)
    for insn in path:
        if not 0 <= insn < n:
            raise ViewError(f"path instruction {insn} is outside the program (0..{n - 1})")
    blocks = [cfg.block_of(i) for i in path]
    # a step to another block, or back to the start of the same one (a one-block loop)
    edges = {(cfg.block_of(i).start, cfg.block_of(j).start) for i, j in itertools.pairwise(path)
             if cfg.block_of(i) != cfg.block_of(j) or j <= i}
    return frozenset(edges), frozenset(b.start for b in blocks)


def _decorate(lines: tuple[BoxLine, ...], pruned: Counter[int],
              visits: dict[int, int] | None) -> tuple[BoxLine, ...]:
    out = []
    for ln in lines:
        tags: list[str] = []
        if ln.slot is not None and pruned.get(ln.slot):
            tags.append(f"pruned ×{pruned[ln.slot]}")
        if ln.slot is not None and visits is not None:
            tags.append(f"{visits.get(ln.slot, 0)}×")
        out.append(BoxLine(ln.slot, ln.text, ln.hidden, tuple(tags)))
    return tuple(out)


def _note(cfg: Cfg, failing: int, diag: Diagnostic | None, syntax: Syntax) -> str:
    lines = [f"insn {failing}: {insn_text(cfg.program, failing, syntax)}"]
    if diag is not None and diag.insn == failing:
        for text in (*diag.context, diag.message):
            lines += textwrap.wrap(text, NOTE_CHARS) or [""]
    return "\n".join(lines)


def _title(cfg: Cfg, result: VerificationResult | None) -> str:
    head = f'SEC("{cfg.program.section}")  {len(cfg.blocks)} blocks'
    if result is None:
        return head
    if result.error is None:
        return f"{head}  ·  accepted, {result.stats.processed_insns} insns processed"
    where = f" at insn {result.error.insn}" if result.error.insn is not None else ""
    return f"{head}  ·  rejected{where}"


def _legend_entries(view: CfgView) -> list[tuple[str, str, str]]:
    """(label, colour, line style) for each kind of mark this picture has."""
    kinds = {r.label for r in view.layout.routes}
    entries = [("F fall-through", style.FALLTHROUGH, "-")] if "F" in kinds else []
    entries += [("T taken", style.TAKEN, "-")] if kinds & {"T", "T/F"} else []
    entries.append(("goto / next", style.PLAIN, "-"))
    if any(r.back for r in view.layout.routes):
        entries.append(("back edge (loop)", style.BACK, "--"))
    if any(r.call for r in view.layout.routes):
        entries.append(("call", style.CALL, ":"))
    if view.path_blocks:
        entries.append(("path", style.REJECTED, "-"))
    if view.pruned:
        entries.append(("pruned (state seen before)", style.PRUNED, "-"))
    return entries


def _margins(view: CfgView) -> tuple[float, float, float, float]:
    """Left, right, top, bottom margins in points: title and legend on top, note on the right."""
    legend_rows = -(-len(_legend_entries(view)) // _legend_columns(view))
    top = 10 + 1.6 * style.FONT_SIZE + legend_rows * 13.0 + (10 if view.visits else 0) + 12
    bottom = 12.0 + max(0.0, view.note_height - view.layout.height)
    place = _note_place(view) if view.failing is not None else None
    note_end = place[0] - NOTE_GAP + view.note_width if place else 0.0
    right = 12.0 + max(0.0, note_end - view.layout.width)
    # the title and the heat caption must fit even above a narrow graph
    text = max(len(view.title) * (style.FONT_SIZE + 1.5),
               len(_heat_caption(view)) * style.SMALL) * CHAR_WIDTH + 16.0
    right += max(0.0, text - (12.0 + view.layout.width + right))
    return 12.0, right, top, bottom


def _legend_columns(view: CfgView) -> int:
    return max(1, min(4, int((view.layout.width + view.note_width) // 150)))


# --- drawing -----------------------------------------------------------------------------------
def render_cfg(ax: Axes, view: CfgView, *, legend_at: tuple[float, float]) -> None:
    """Draw ``view`` into ``ax`` (point units, y down, as :func:`style.point_axes` makes)."""
    lay = view.layout
    x, y = legend_at
    ax.text(x, y, view.title, fontsize=style.FONT_SIZE + 1.5, weight="bold", va="top",
            family=style.MONO)
    _legend(ax, view, (x, y + 1.9 * style.FONT_SIZE))
    for title_x, title_y, name in lay.titles:
        ax.text(title_x, title_y, name, fontsize=style.FONT_SIZE, style="italic",
                color=style.MUTED, va="bottom")
    for route in lay.routes:
        _draw_route(ax, route, on_path=(route.src.start, route.dst.start) in view.path_edges)
    for box in lay.boxes.values():
        _draw_box(ax, view, box)
    if view.failing is not None:
        _draw_note(ax, view)


def _legend(ax: Axes, view: CfgView, at: tuple[float, float]) -> None:
    from matplotlib.lines import Line2D

    entries = _legend_entries(view)
    handles = [Line2D([], [], color=c, ls=ls, lw=2.2 if c == style.REJECTED else 1.4, label=t)
               for t, c, ls in entries]
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    anchor = ((at[0] - x0) / (x1 - x0), (at[1] - y0) / (y1 - y0))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=anchor, frameon=False,
              ncol=_legend_columns(view), fontsize=style.SMALL, handlelength=2.2,
              borderaxespad=0, borderpad=0, columnspacing=1.4)
    if view.visits:
        ax.text(at[0], at[1] + 13.0 * -(-len(entries) // _legend_columns(view)) + 2,
                _heat_caption(view), fontsize=style.SMALL, va="top", color=style.HEADER)


def _heat_caption(view: CfgView) -> str:
    if not view.visits:
        return ""
    top = max(view.visits.values(), default=0)
    return f"heat: times the verifier processed each insn (1× … {top}×)"


def _edge_colour(route: Route) -> str:
    if route.back:
        return style.BACK
    if route.call:
        return style.CALL
    return {"T": style.TAKEN, "T/F": style.TAKEN, "F": style.FALLTHROUGH}.get(route.label,
                                                                              style.PLAIN)


def _draw_route(ax: Axes, route: Route, *, on_path: bool) -> None:
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    verts, codes = [route.points[0]], [Path.MOVETO]
    for (x0, y0), (x1, y1) in zip(route.points, route.points[1:], strict=False):
        if route.back or route.call or x0 == x1:
            verts.append((x1, y1))
            codes.append(Path.LINETO)
        else:  # a smooth S from a box's bottom to the next top, vertical at both ends
            dy = (y1 - y0) * 0.5
            verts += [(x0, y0 + dy), (x1, y1 - dy), (x1, y1)]
            codes += [Path.CURVE4] * 3
    colour = style.REJECTED if on_path else _edge_colour(route)
    ls = "--" if route.back else (":" if route.call else "-")
    arrow = FancyArrowPatch(path=Path(verts, codes), arrowstyle="-|>", mutation_scale=9,
                            color=colour, lw=2.4 if on_path else 1.2, linestyle=ls,
                            zorder=3 if on_path else 2, joinstyle="round", capstyle="round",
                            gid="back-edge" if route.back else "call" if route.call else "edge")
    ax.add_artist(arrow)
    if route.label and not route.back:
        (x, y), (nx, _) = route.points[0], route.points[1]
        left = nx < x - 1  # put the label on the outer side of the bend
        ax.text(x - 4 if left else x + 4, y + 2, route.label, fontsize=style.SMALL,
                weight="bold", color=colour, va="top", ha="right" if left else "left", zorder=8,
                bbox=dict(boxstyle="square,pad=0.05", fc="white", ec="none"))
    elif route.label:
        x, y = route.points[1]
        ax.text(x + 2, y, route.label, fontsize=style.SMALL, weight="bold", color=colour,
                va="center", ha="left", zorder=4)


def _draw_box(ax: Axes, view: CfgView, box: Box) -> None:
    from matplotlib.patches import FancyBboxPatch, Rectangle

    on_path = box.block.start in view.path_blocks
    ax.add_artist(FancyBboxPatch((box.x, box.y), box.width, box.height,
                                boxstyle="round,pad=0,rounding_size=3", fc="white",
                                ec=style.REJECTED if on_path else style.BOX_EDGE,
                                lw=2.0 if on_path else 0.9, zorder=5, gid="block"))
    fs = box.fontsize
    ax.text(box.x + PAD, box.line_y(-1), box.header, fontsize=fs, family=style.MONO,
            weight="bold", color=style.HEADER, va="center", zorder=7)
    line_h = fs * LINE_HEIGHT
    for i, ln in enumerate(box.lines):
        y = box.line_y(i)
        colour = style.MUTED if ln.slot is None else "black"
        if view.visits is not None and ln.slot is not None:
            count = view.visits.get(ln.slot, 0)
            if count:
                ax.add_artist(Rectangle((box.x + 1, y - line_h / 2), box.width - 2, line_h,
                                       fc=_heat_colour(count, view.visits), ec="none", zorder=6,
                                       gid="heat"))
            else:
                colour = style.MUTED  # never processed: dead on every explored path
        failing = ln.slot is not None and ln.slot == view.failing
        if failing:
            ax.add_artist(Rectangle((box.x + 1, y - line_h / 2), box.width - 2, line_h,
                                   fc=style.REJECTED_FILL, ec=style.REJECTED, lw=1.2, zorder=6,
                                   gid="failing-insn"))
            colour = style.REJECTED
        ax.text(box.x + PAD, y, ln.text, fontsize=fs, family=style.MONO, va="center",
                color=colour, weight="bold" if failing else "normal", zorder=7)
        _draw_tags(ax, box, ln, y)


def _draw_tags(ax: Axes, box: Box, ln: BoxLine, y: float) -> None:
    x = box.right - PAD
    for tag in reversed(ln.tags):
        pruned = tag.startswith("pruned")
        ax.text(x, y, tag, fontsize=style.SMALL if not pruned else box.fontsize - 0.5,
                family=style.MONO, ha="right", va="center", zorder=7,
                gid="pruned" if pruned else "visits",
                color="white" if pruned else style.HEADER, weight="bold" if pruned else "normal",
                bbox=dict(boxstyle="round,pad=0.15", fc=style.PRUNED, ec="none") if pruned
                else None)
        x -= (len(tag) + 2) * CHAR_WIDTH * box.fontsize


@functools.cache
def _heat_map() -> Colormap:
    from matplotlib import colormaps

    return colormaps[style.HEAT_MAP]  # a copy per lookup: look it up once


def _heat_colour(count: int, visits: dict[int, int]) -> tuple[float, float, float, float]:
    top = max(visits.values(), default=1)
    # a log scale: a loop body seen 4 times should stand out even when an exit is seen 30 times
    share = 0.0 if top <= 1 else math.log(count) / math.log(top)
    return _heat_map()(0.05 + 0.45 * share)  # light end: text stays readable


def _note_place(view: CfgView) -> tuple[float, float, float, Box] | None:
    """Where the note goes: ``(x, note centre y, failing line y, failing box)``; right of what
    the note's band holds, so the arrow crosses as few boxes as possible."""
    lay = view.layout
    box = next((b for b in lay.boxes.values() if b.row_of(view.failing) is not None), None)
    if box is None or not view.note:  # pragma: no cover - a failing insn is always kept
        return None
    y = box.line_y(box.row_of(view.failing))
    half = view.note_height / 2
    y_note = min(max(y, half), max(lay.height - half, half))  # keep the note inside the picture
    band = [b.right for b in lay.boxes.values()
            if b.y < y_note + half and b.bottom > y_note - half and b.x >= box.x]
    band += [px for r in lay.routes for px, py in r.points if abs(py - y_note) < half + 20]
    return max([box.right, *band]) + NOTE_GAP, y_note, y, box


def _draw_note(ax: Axes, view: CfgView) -> None:
    from matplotlib.patches import FancyArrowPatch

    place = _note_place(view)
    if place is None:  # pragma: no cover
        return
    x, y_note, y, box = place
    ax.text(x, y_note, view.note, fontsize=style.FONT_SIZE, family=style.MONO, va="center",
            ha="left", color="black", zorder=9, gid="failing-note",
            bbox=dict(boxstyle="round,pad=0.5", fc=style.NOTE_FILL, ec=style.REJECTED, lw=1.4))
    # the arrow runs behind the boxes it may cross, so their text stays readable
    ax.add_artist(FancyArrowPatch((x - 4, y_note), (box.right + 1, y), arrowstyle="-|>",
                                  mutation_scale=10, color=style.REJECTED, lw=1.4, zorder=4))
