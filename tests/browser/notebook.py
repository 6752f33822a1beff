"""Driving one notebook in JupyterLab as a learner does, and reading back what the page shows.

:class:`LabNotebook` opens a notebook, waits for its kernel, runs every cell from the Run menu
and waits until they have run; :meth:`LabNotebook.cells` reads each cell's prompt and outputs
off the page. :func:`expectations` reads, from the ``.ipynb`` file, what each code cell should
show (pictures, kfunclab widgets), so a failure names the notebook, the cell and the selector.

>>> widget_call("StateExplorer(result)"), widget_call("x = 1"), widget_call("%%bpf syscall")
('StateExplorer', None, None)
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .lab import LabServer, wait_until

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"  # every *.ipynb here is tested
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = ROOT / "test-artifacts" / "browser"  # screenshots, JupyterLab's log
VIEWPORT = {"width": 1280, "height": 900}
SCREENSHOTS: list[Path] = []  # taken this session, in order

# --- what the page is read with (JupyterLab 4.x, ipywidgets 8) -----------------------------------

CELL = ".jp-Notebook .jp-Cell"
PROMPT = ".jp-InputPrompt"
OUTPUT = ".jp-OutputArea-output"
#: a traceback and a write to stderr are both rendered with this MIME type in JupyterLab 4
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
#: pictures a cell displays (matplotlib figures, IPython Image); widget images are not these
RENDERED_IMAGE = '.jp-RenderedImage[data-mime-type="image/png"] img'
#: a widget view the ipywidgets renderer put into an output
WIDGET_VIEW = ".jp-OutputArea-output > .jupyter-widgets"
#: what ipywidgets draws instead of a view whose JavaScript failed ("Click to show javascript
#: error."); it keeps the widget's own CSS classes, so a class alone proves nothing
WIDGET_ERROR = ".jupyter-widgets-error-widget"
DIALOG = ".jp-Dialog"
SCROLLER = ".jp-NotebookPanel .jp-WindowedPanel-outer"  # the notebook scrolls in here
KERNEL_STATUS = ".jp-StatusBar-Widget"  # "Python 3 (ipykernel) | Idle" is in its text
EDIT_MENU = ".lm-MenuBar-item:has-text('Edit')"
CLEAR_ALL = ".lm-Menu-item[data-command='editmenu:clear-all']"  # Clear Outputs of All Cells
RUN_MENU = ".lm-MenuBar-item:has-text('Run')"
RUN_ALL = ".lm-Menu-item[data-command='runmenu:run-all']"

#: what the ipywidgets renderer writes while a view is missing or broken
WIDGET_PLACEHOLDERS = ("Loading widget...", "Error displaying widget")

#: kfunclab widget classes and the CSS class of the box each one shows
WIDGET_BOX = {
    "KfuncPlayground": "kfunclab-playground",
    "StateExplorer": "kfunclab-explorer",
    "RejectedPaths": "kfunclab-rejected-paths",
    "RefLifetimes": "kfunclab-reflifetimes",
    "RegistryView": "kfunclab-registry",
}
#: a kfunclab widget that reached the page as its text fallback instead of a view
#: a C source line as the views show it (class kfunclab-c-line): ``; if (!t) @ cell.bpf.c:12``
C_LINE = ".kfunclab-c-line"
C_LINE_TEXT = re.compile(r"^; .* @ \S+\.c:\d+$")
#: the C cells compile only where clang is; elsewhere they show a message instead
HAVE_CLANG = any(shutil.which(n) for n in ("clang", "clang-16", "clang-17", "clang-18",
                                            "clang-19")) or bool(os.environ.get("CLANG"))
TEXT_FALLBACK = re.compile(r"^<(" + "|".join(WIDGET_BOX) + r")\b")

OPEN_TIMEOUT = 90.0  # seconds from the URL to an idle kernel
RUN_TIMEOUT = float(os.environ.get("KFUNCLAB_BROWSER_TIMEOUT", "240"))  # Run All, per notebook
WIDGET_TIMEOUT = 30.0  # seconds for the widget views to replace their placeholders


@dataclass(frozen=True)
class CellExpectation:
    """What one cell of the ``.ipynb`` should show once run."""

    index: int
    first_line: str
    runs: bool  # a code cell with some source (JupyterLab gives empty cells no count)
    images: int  # image/png outputs stored in the file
    widgets: tuple[str, ...]  # kfunclab widget classes the cell displays
    c_lines: bool = False  # its stored HTML shows C source lines (a %%bpf_c cell's views)

    @property
    def where(self) -> str:
        return f"cell {self.index} ({self.first_line!r})"


def widget_call(source: str) -> str | None:
    """The kfunclab widget a cell's last statement displays (``Name(...)`` or
    ``display(Name(...))``), or None; cells with IPython magics are not Python."""
    if source.lstrip().startswith(("%", "!")):
        return None
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    if not body or not isinstance(body[-1], ast.Expr):
        return None
    call = body[-1].value
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and \
            call.func.id == "display" and call.args:
        call = call.args[0]
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and \
            call.func.id in WIDGET_BOX:
        return call.func.id
    return None


def expectations(path: Path) -> list[CellExpectation]:
    """Per cell of notebook ``path``: does it run, how many pictures, which widgets."""
    nb = json.loads(path.read_text())
    out = []
    for i, cell in enumerate(nb["cells"]):
        source = "".join(cell.get("source", ""))
        first = next((line for line in source.splitlines() if line.strip()), "")
        if cell.get("cell_type") != "code":
            out.append(CellExpectation(i, first, False, 0, ()))
            continue
        images = sum(1 for o in cell.get("outputs", ()) if "image/png" in o.get("data", {}))
        stored = tuple(m.group(1) for o in cell.get("outputs", ())
                       for m in [TEXT_FALLBACK.match("".join(o.get("data", {})
                                                             .get("text/plain", "")))] if m)
        called = widget_call(source)
        widgets = stored or ((called,) if called else ())
        c_lines = any("kfunclab-c-line" in "".join(o.get("data", {}).get("text/html", ""))
                      for o in cell.get("outputs", ()))
        out.append(CellExpectation(i, first[:80], bool(source.strip()), images, widgets,
                                   c_lines))
    return out


def kernelspec_name(path: Path) -> str | None:
    return json.loads(path.read_text()).get("metadata", {}).get("kernelspec", {}).get("name")


def _short(text: str) -> str:
    """First and last line of an output (a traceback's last line names the exception)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) <= 2:
        return " / ".join(lines)
    return f"{lines[0]} ... {lines[-1]}"


def cell_problems(expect: CellExpectation, shown: dict[str, Any]) -> list[str]:
    """What cell ``expect.index`` shows that a learner should not see, one line each."""
    where = expect.where
    out = []
    if expect.runs and not re.fullmatch(r"\[\d+\]:", shown["prompt"]):
        out.append(f"{where}: not run, its prompt is {shown['prompt']!r} ({PROMPT})")
    out += [f"{where}: error output ({STDERR}): {_short(text)}" for text in shown["stderr"]]
    loaded = sum(1 for img in shown["images"] if img["loaded"])
    if loaded < expect.images:
        out.append(f"{where}: {loaded} picture(s) drawn, the notebook stores {expect.images} "
                   f"({RENDERED_IMAGE})")
    if shown["brokenImages"]:
        out.append(f"{where}: {shown['brokenImages']} image(s) failed to load (.jp-OutputArea"
                   "-output img)")
    out += [f"{where}: still shows {text!r} ({WIDGET_VIEW} not drawn)"
            for text in shown["placeholders"]]
    for text in shown["texts"]:
        m = TEXT_FALLBACK.match(text)
        if m:
            out.append(f"{where}: {m.group(1)} shown as its text {text[:60]!r} instead of a "
                       "widget (is jupyterlab_widgets installed?)")
    if shown["widgetErrors"]:
        out.append(f"{where}: {shown['widgetErrors']} widget view(s) failed in the browser "
                   f"({WIDGET_ERROR}: \"Click to show javascript error.\")")
    if expect.c_lines and HAVE_CLANG and \
            not any(C_LINE_TEXT.match(t) for t in shown["cLines"]):
        out.append(f"{where}: no C source line ({C_LINE}, '; text @ file.c:N') shown; the "
                   f"notebook stores some")
    for name in expect.widgets:
        box = WIDGET_BOX[name]
        if box not in shown["drawnBoxes"] or not shown["widgetViews"]:
            out.append(f"{where}: {name} not drawn (no .jupyter-widgets.{box} with its "
                       f"controls inside, in {WIDGET_VIEW})")
    return out


# one pass over the page: each cell's prompt and what its outputs hold
_READ_CELLS = """
(sel) => Array.from(document.querySelectorAll(sel.cell)).map(cell => {
  const prompt = cell.querySelector(sel.prompt);
  const outputs = Array.from(cell.querySelectorAll(sel.output));
  const shown = img => img.offsetParent !== null || img.getClientRects().length > 0;
  return {
    code: cell.classList.contains('jp-CodeCell'),
    prompt: prompt ? prompt.textContent.trim() : '',
    stderr: Array.from(cell.querySelectorAll(sel.stderr)).map(o => o.textContent.slice(0, 400)),
    images: Array.from(cell.querySelectorAll(sel.image)).map(
      i => ({loaded: i.complete && i.naturalWidth > 0})),
    brokenImages: Array.from(cell.querySelectorAll(sel.output + ' img')).filter(
      i => shown(i) && !(i.complete && i.naturalWidth > 0)).length,
    widgetViews: cell.querySelectorAll(sel.widget).length,
    widgetErrors: cell.querySelectorAll(sel.widgetError).length,
    // kfunclab-* classes of widget boxes whose own controls were drawn inside them
    drawnBoxes: Array.from(cell.querySelectorAll('.jupyter-widgets[class*="kfunclab-"]'))
      .filter(e => e.querySelector('.jupyter-widgets') !== null)
      .flatMap(e => Array.from(e.classList)).filter(c => c.startsWith('kfunclab-')),
    texts: outputs.map(o => o.textContent.trim().slice(0, 200)),
    cLines: Array.from(cell.querySelectorAll(sel.cLine)).map(e => e.textContent.trim()),
    placeholders: sel.placeholders.filter(p => cell.textContent.includes(p)),
  };
})
"""


class LabNotebook:
    """One notebook open in a fresh browser page of its own workspace."""

    def __init__(self, page: Any, server: LabServer, path: str) -> None:
        self.page = page
        self.server = server
        self.path = path  # relative to the server's root, e.g. "notebooks/01-welcome.ipynb"
        self.console_errors: list[str] = []
        page.on("console", self._console)

    def _console(self, msg: Any) -> None:
        if msg.type == "error":
            self.console_errors.append(msg.text[:300])

    def open(self) -> None:
        """Load JupyterLab on this notebook and wait until its kernel is idle.

        A workspace per notebook (``?reset``), so one page never reopens another's notebook.
        """
        workspace = re.sub(r"\W+", "-", self.path)
        self.page.goto(self.server.url(f"lab/workspaces/{workspace}/tree/{self.path}",
                                       reset=""))
        from playwright.sync_api import TimeoutError as PageTimeout

        try:
            # the status bar's "Python 3 (ipykernel) | Idle": the kernel is up and connected;
            # or a dialog, such as the kernel picker of a notebook without a kernelspec
            self.page.wait_for_function(
                "([status, dialog]) => document.querySelector(dialog) !== null || "
                "(document.querySelector(status)?.textContent || '').includes('| Idle')",
                arg=[KERNEL_STATUS, DIALOG], timeout=OPEN_TIMEOUT * 1000)
        except PageTimeout:
            raise AssertionError(
                f"{self.path}: no idle kernel {OPEN_TIMEOUT:.0f}s after opening; the status bar "
                f"({KERNEL_STATUS}) says {self._status()!r}") from None
        dialogs = self.dialogs()
        assert not dialogs, f"{self.path}: a dialog ({DIALOG}) opened with the notebook: {dialogs}"
        self.page.wait_for_selector(CELL)

    def dialogs(self) -> list[str]:
        """Texts of the modal dialogs on the page (a kernel picker, an error box ...)."""
        return [d.inner_text()[:200] for d in self.page.query_selector_all(DIALOG)]

    def clear_outputs(self) -> None:
        """Edit → Clear Outputs of All Cells: what the page shows afterwards was made by this
        run, not stored in the file."""
        self.page.click(EDIT_MENU)
        self.page.click(CLEAR_ALL)
        wait_until(lambda: True if not self.page.query_selector(OUTPUT) and
                   not self._started() else None, 30, f"{self.path}: outputs to clear")

    def run_all(self, timeout: float) -> float:
        """Clear every output, Run → Run All Cells, then wait until no cell waits to run and
        the kernel is idle; returns the seconds it took."""
        start = time.monotonic()
        self.clear_outputs()
        self.page.click(RUN_MENU)
        self.page.click(RUN_ALL)
        wait_until(lambda: True if self._started() else None, 30, "the first cell to start")
        stable: list[float] = []

        def settled() -> bool | None:
            prompts = [c["prompt"] for c in self._prompts()]
            busy = any("*" in p for p in prompts) or "| Idle" not in self._status()
            if busy:
                stable.clear()
                return None
            stable.append(time.monotonic())
            # idle twice, a second apart: Run All queues cells one after another
            return True if stable[-1] - stable[0] >= 1.0 else None

        wait_until(settled, timeout, f"{self.path}: every cell to run", interval=0.5)
        return time.monotonic() - start

    def _started(self) -> bool:
        return any(p["prompt"] not in ("", "[ ]:") for p in self._prompts() if p["code"])

    def _prompts(self) -> list[dict[str, Any]]:
        return self.page.eval_on_selector_all(
            CELL, "cells => cells.map(c => ({code: c.classList.contains('jp-CodeCell'), "
                  f"prompt: (c.querySelector('{PROMPT}')?.textContent || '').trim()}}))")

    def _status(self) -> str:
        return self.page.evaluate("(sel) => document.querySelector(sel)?.textContent || ''",
                                  KERNEL_STATUS)

    def wait_for_widgets(self) -> None:
        """Give widget views their (bounded) moment to replace "Loading widget..."."""
        from playwright.sync_api import TimeoutError as PageTimeout

        with contextlib.suppress(PageTimeout):  # the assertions name the cell still waiting
            self.page.wait_for_function(
                "(text) => !document.querySelector('.jp-Notebook').textContent.includes(text)",
                arg=WIDGET_PLACEHOLDERS[0], timeout=WIDGET_TIMEOUT * 1000)

    def cells(self) -> list[dict[str, Any]]:
        """What each cell shows now (see ``_READ_CELLS``)."""
        return self.page.evaluate(_READ_CELLS, {
            "cell": CELL, "prompt": PROMPT, "output": OUTPUT, "stderr": STDERR,
            "image": RENDERED_IMAGE, "widget": WIDGET_VIEW, "widgetError": WIDGET_ERROR,
            "placeholders": list(WIDGET_PLACEHOLDERS), "cLine": C_LINE})

    def cell(self, index: int) -> Any:
        """A Playwright locator for cell ``index``."""
        return self.page.locator(CELL).nth(index)

    def screenshot(self, name: str, max_height: int = 12000) -> Path:
        """The whole notebook in one picture, ``test-artifacts/browser/<name>.png`` (listed at
        the end of the session). The window is made as tall as the notebook: JupyterLab
        scrolls inside the page, so a full-page shot would show one screen."""
        path = ARTIFACTS / f"{name}.png"
        inner = self.page.evaluate(
            f"() => {{ const s = document.querySelector('{SCROLLER}');"
            " return s ? s.scrollHeight - s.clientHeight : 0 }")
        size = self.page.viewport_size or {"width": 1280, "height": 900}
        height = min(size["height"] + int(inner) + 40, max_height)
        self.page.set_viewport_size({"width": size["width"], "height": height})
        # Run All leaves the last cell in view: show the notebook from its top
        self.page.evaluate(f"() => {{ const s = document.querySelector('{SCROLLER}');"
                           " if (s) s.scrollTop = 0 }")
        self.page.wait_for_timeout(500)  # a layout pass at the new size
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path))
        self.page.set_viewport_size(size)
        SCREENSHOTS.append(path)
        return path

    def close(self) -> None:
        """Close the page and shut the notebook's kernel down."""
        try:
            self.page.close()
        finally:
            self.server.shutdown_session(self.path)


@contextmanager
def opened(browser: Any, server: LabServer, path: str) -> Iterator[LabNotebook]:
    """Notebook ``path`` open in a browser context of its own (no storage shared with other
    notebooks); page, context and kernel are closed afterwards."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    nb = LabNotebook(context.new_page(), server, path)
    try:
        nb.open()
        yield nb
    finally:
        try:
            nb.close()
        finally:
            context.close()
