"""``StateExplorer``: walk a verified path step by step and watch the verifier's state.

>>> from kfunclab.verifier import verify_text
>>> r = verify_text('# SEC("syscall")\\n r1 = 1\\n call bpf_task_from_pid\\n r0 = 0\\n exit')
>>> x = StateExplorer(r)                                          # doctest: +SKIP
>>> x.next(); x.current_insn                                      # doctest: +SKIP
1
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kfunclab.widgets import render
from kfunclab.widgets.base import WIDE, WidgetView, classed, ipywidgets, set_picture
from kfunclab.widgets.figures import render_png

if TYPE_CHECKING:
    from kfunclab.verifier.result import VerificationResult


class StateExplorer(WidgetView):
    """Choose a path (Dropdown), step along it (buttons, slider), see the state after each step.

    Shows the instruction (index, text, source line), registers, stack, references and locks
    after it, the listing with the path and the current instruction marked, and at the last
    step how the path ended (exit, pruned against which checkpoint, or the rejection message).
    With ``pictures=True`` and a ``draw_state_table`` in :mod:`kfunclab.viz`, that picture too.

    CSS classes: ``kfunclab-explorer`` (the box), ``kfunclab-path-select``,
    ``kfunclab-step-prev``, ``kfunclab-step-next``, ``kfunclab-step-slider``,
    ``kfunclab-explorer-state``, ``kfunclab-explorer-listing``, ``kfunclab-explorer-picture``.
    """

    def __init__(self, result: VerificationResult, path_id: int | None = None, *,
                 pictures: bool = True) -> None:
        super().__init__()
        w = ipywidgets()
        self.result = result
        self.pictures = pictures
        options = [(render.path_label(result, p), p.id) for p in result.paths]
        first = path_id if path_id is not None else render.default_path(result)
        self.path_select = classed(w.Dropdown(options=options, value=first, description="path",
                                              style=WIDE, layout=w.Layout(width="max-content")),
                                   "kfunclab-path-select")
        self.slider = classed(w.IntSlider(min=0, max=0, value=0, description="step",
                                          style=WIDE, continuous_update=False),
                              "kfunclab-step-slider")
        self.prev_button = classed(w.Button(description="◀ prev", tooltip="previous step",
                                            layout=w.Layout(width="auto")),
                                   "kfunclab-step-prev")
        self.next_button = classed(w.Button(description="next ▶", tooltip="next step",
                                            layout=w.Layout(width="auto")),
                                   "kfunclab-step-next")
        self.state_html = classed(w.HTML(), "kfunclab-explorer-state")
        # a long program scrolls beside the state instead of stretching the widget
        self.listing_html = classed(w.HTML(layout=w.Layout(max_height="520px",
                                                           overflow="auto")),
                                    "kfunclab-explorer-listing")
        self.picture = classed(w.Image(format="png"), "kfunclab-explorer-picture")
        set_picture(self.picture, None)
        self.path_select.observe(self._on_path, names="value")
        self.slider.observe(self._on_step, names="value")
        self.prev_button.on_click(lambda _b: self.prev())
        self.next_button.on_click(lambda _b: self.next())
        controls = w.HBox([self.path_select, self.prev_button, self.slider, self.next_button])
        self.widget = classed(w.VBox([controls, w.HBox([self.state_html, self.listing_html]),
                                      self.picture]), "kfunclab-explorer")
        if not options:
            self.state_html.value = render.note_html(
                "No explored path: the program was refused before exploration.")
            return
        self._load_path()

    # --- what tests and users drive --------------------------------------------------------

    @property
    def path_id(self) -> int | None:
        return self.path_select.value

    @property
    def step(self) -> int:
        return self.slider.value

    @property
    def steps(self) -> int:
        """How many steps the chosen path has."""
        return len(self._walk)

    @property
    def current_insn(self) -> int | None:
        return self._walk[self.step].insn if self._walk else None

    def next(self) -> None:
        """One step forwards (stays at the last step)."""
        self.slider.value = min(self.step + 1, self.slider.max)

    def prev(self) -> None:
        """One step backwards (stays at the first step)."""
        self.slider.value = max(self.step - 1, 0)

    def go(self, step: int) -> None:
        """Jump to step ``step`` (negative counts from the end, like a list index)."""
        self.slider.value = range(len(self._walk) or 1)[step]

    def select_path(self, path_id: int) -> None:
        """Show path ``path_id`` from its first step."""
        ids = [p.id for p in self.result.paths]
        if path_id not in ids:
            raise render.ExplorerError(f"no explored path with id {path_id}; expected one of "
                                       f"{ids}")
        self.path_select.value = path_id

    def __repr__(self) -> str:
        return f"<StateExplorer path {self.path_id} step {self.step} insn {self.current_insn}>"

    # --- wiring ------------------------------------------------------------------------------

    def _load_path(self) -> None:
        self._walk = render.path_walk(self.result, self.path_id) if self.path_id is not None \
            else ()
        with self._hold():
            self.slider.value = 0
            self.slider.max = max(len(self._walk) - 1, 0)
        self._render()

    def _on_path(self, _change: Any) -> None:
        self._load_path()

    def _on_step(self, _change: Any) -> None:
        if not self._holding:
            self._render()

    def _render(self) -> None:
        if self.path_id is None:
            return
        self.prev_button.disabled = self.step <= 0
        self.next_button.disabled = self.step >= self.slider.max
        self.state_html.value = render.render_state(self.result, self.path_id, self.step)
        self.listing_html.value = render.render_walk_listing(self.result, self.path_id,
                                                             self.step)
        if self.pictures and self._walk:
            # draw_state_table counts steps from the entry, as path_walk does
            set_picture(self.picture, render_png("draw_state_table", self.result,
                                                 path_id=self.path_id, step=self.step))
