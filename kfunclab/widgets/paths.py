"""``RefLifetimes`` and ``RejectedPaths``: references along paths, and every failing path.

>>> from kfunclab.verifier import verify_text
>>> r = verify_text('# SEC("syscall")\\n r1 = 1\\n call bpf_task_from_pid\\n r0 = 0\\n exit',
...                 collect_all=True)
>>> RejectedPaths(r).highlighted_insn                              # doctest: +SKIP
3
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kfunclab.widgets import render
from kfunclab.widgets.base import WIDE, WidgetView, classed, ipywidgets, set_picture
from kfunclab.widgets.figures import render_png

if TYPE_CHECKING:
    from kfunclab.verifier.result import VerificationResult

ALL_PATHS = -1  # dropdown value for "every path" (ipywidgets options cannot hold None well)


class RefLifetimes(WidgetView):
    """A path chooser and the reference-lifetime picture (``kfunclab.viz.draw_ref_lifetimes``)
    with, below it, the events of every reference as a table.

    CSS classes: ``kfunclab-reflifetimes`` (the box), ``kfunclab-path-select``,
    ``kfunclab-ref-picture``, ``kfunclab-ref-table``.
    """

    def __init__(self, result: VerificationResult, path_id: int | None = None, *,
                 pictures: bool = True) -> None:
        super().__init__()
        w = ipywidgets()
        self.result = result
        self.pictures = pictures
        ids = render.paths_with_refs(result)
        options = [("all paths", ALL_PATHS)] + [
            (render.path_label(result, result.path(i)), i) for i in ids]
        if path_id is None:
            err = result.error
            path_id = err.path_id if err is not None and err.path_id in ids else ALL_PATHS
        self.path_select = classed(w.Dropdown(options=options, value=path_id,
                                              description="path", style=WIDE,
                                              layout=w.Layout(width="max-content")),
                                   "kfunclab-path-select")
        self.picture = classed(w.Image(format="png"), "kfunclab-ref-picture")
        self.table_html = classed(w.HTML(), "kfunclab-ref-table")
        self.path_select.observe(lambda _c: self._render(), names="value")
        self.widget = classed(w.VBox([self.path_select, self.picture, self.table_html]),
                              "kfunclab-reflifetimes")
        self._render()

    @property
    def path_id(self) -> int | None:
        """The chosen path, None for all paths."""
        value = self.path_select.value
        return None if value == ALL_PATHS else value

    def select_path(self, path_id: int | None) -> None:
        """Show the references on ``path_id`` (None: on every path)."""
        self.path_select.value = ALL_PATHS if path_id is None else path_id

    def _render(self) -> None:
        self.table_html.value = render.render_refs(self.result, self.path_id)
        png = None
        if self.pictures and self.result.references:
            png = render_png("draw_ref_lifetimes", self.result, path_id=self.path_id)
        set_picture(self.picture, png)


class RejectedPaths(WidgetView):
    """Choose among every rejected path of a ``collect_all=True`` result: the message with its
    context, the listing with that path tinted and its failing instruction marked, and (with
    ``kfunclab.viz.draw_cfg``) the CFG with the path highlighted.

    CSS classes: ``kfunclab-rejected-paths`` (the box), ``kfunclab-rejected-select``,
    ``kfunclab-rejected-message``, ``kfunclab-rejected-picture``.
    """

    def __init__(self, result: VerificationResult, *, pictures: bool = True) -> None:
        super().__init__()
        w = ipywidgets()
        self.result = result
        self.pictures = pictures
        options = [(render.rejected_label(d, i), i) for i, d in enumerate(result.rejected)]
        self.select_box = classed(w.Dropdown(options=options or [("(accepted)", -1)],
                                             value=0 if options else -1,
                                             description="rejected", style=WIDE,
                                             layout=w.Layout(width="max-content")),
                                  "kfunclab-rejected-select")
        self.message_html = classed(w.HTML(), "kfunclab-rejected-message")
        self.picture = classed(w.Image(format="png"), "kfunclab-rejected-picture")
        self.select_box.observe(lambda _c: self._render(), names="value")
        self.widget = classed(w.VBox([self.select_box, self.message_html, self.picture]),
                              "kfunclab-rejected-paths")
        self._render()

    @property
    def selected(self) -> int | None:
        """Index (into ``result.rejected``) of the shown path; None for an accepted result."""
        value = self.select_box.value
        return None if value < 0 else value

    @property
    def highlighted_insn(self) -> int | None:
        """The failing instruction of the shown path."""
        index = self.selected
        return None if index is None else self.result.rejected[index].insn

    def select(self, index: int) -> None:
        """Show rejected path number ``index`` (0-based, in ``result.rejected`` order)."""
        if not 0 <= index < len(self.result.rejected):
            raise render.ExplorerError(f"rejected paths are 0..{len(self.result.rejected) - 1}"
                                       f", not {index}")
        self.select_box.value = index

    def _render(self) -> None:
        index = self.selected
        self.message_html.value = render.render_rejected(self.result, index or 0)
        png = None
        if self.pictures and index is not None:
            diag = self.result.rejected[index]
            png = render_png("draw_cfg", self.result, highlight_path=diag.path,
                             failing_insn=diag.insn)
        set_picture(self.picture, png)

