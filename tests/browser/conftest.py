"""Fixtures of the browser tests: one JupyterLab server and one headless Chromium per session.

The tests run in the plain ``pytest`` command. Where Debian's Chromium or the playwright
package is missing they skip, with one line saying how to enable them. Playwright's own
browser download is never used: Chromium is ``/usr/bin/chromium`` (or ``$KFUNCLAB_CHROMIUM``).
Screenshots go to ``test-artifacts/browser/``, listed at the end of the run.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from .lab import LabServer
from .notebook import ARTIFACTS, FIXTURES, NOTEBOOKS, ROOT, SCREENSHOTS, opened

CHROMIUM = Path(os.environ.get("KFUNCLAB_CHROMIUM", "/usr/bin/chromium"))
ENABLE = ("browser tests need Debian's chromium, playwright and jupyterlab: "
          "apt-get install chromium; pip install -e '.[dev,lab]'")

# what the machine's closed network and a throw-away profile need (.library machines notes)
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]

collect_ignore_glob = ["fixtures/*"]  # notebooks the tests open, not tests themselves


def _missing() -> str | None:
    if not CHROMIUM.exists() or any(importlib.util.find_spec(m) is None
                                    for m in ("playwright", "jupyterlab")):
        return ENABLE
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip every browser test, all from this one line, when the browser is missing."""
    reason = _missing() if item.get_closest_marker("browser") else None
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab serving a copy of ``notebooks/`` (and the test fixtures) on a free port."""
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "root"
    if NOTEBOOKS.is_dir():
        shutil.copytree(NOTEBOOKS, root / "notebooks",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(FIXTURES, root / "fixtures")
    (base / "state").mkdir()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = LabServer(root, base / "state", ARTIFACTS / "jupyterlab.log")
    server.start()
    try:
        yield server
    finally:
        leftover = server.stop()
        # every kernel ends with its server; one that did not had to be killed: say so
        assert not leftover, f"kernels outlived JupyterLab and were killed: {leftover}"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium; Playwright gives it a fresh temporary profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_notebook(lab: LabServer, browser: Any) -> Iterator[Any]:
    """``open_notebook("notebooks/x.ipynb")``: the notebook open in a fresh browser context,
    closed with its kernel at the end of the test."""
    with ExitStack() as stack:
        yield lambda path: stack.enter_context(opened(browser, lab, path))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not SCREENSHOTS:
        return
    terminalreporter.write_sep("-", "browser screenshots")
    for path in SCREENSHOTS:
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        terminalreporter.write_line(str(shown))
    log = ARTIFACTS / "jupyterlab.log"
    if log.exists():
        terminalreporter.write_line(f"JupyterLab's log: {log.relative_to(ROOT)}")
