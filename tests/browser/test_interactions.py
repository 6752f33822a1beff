"""What a learner sees when clicking the widgets, in JupyterLab in a real browser.

The notebook is ``fixtures/interactions.ipynb`` (one of each widget on small programs of its
own), not a tutorial, so rewording a tutorial never breaks these tests. It is opened and run
once for the module; each test finds its cell by a ``# browser-test: ...`` comment (or the
``%%bpf`` magic) and leaves the widget as it found it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from .notebook import (
    FIXTURES,
    RENDERED_IMAGE,
    RUN_TIMEOUT,
    LabNotebook,
    cell_problems,
    expectations,
    opened,
)

pytestmark = pytest.mark.browser

NOTEBOOK = "interactions.ipynb"
# the kernel's words (check_kfunc_args, linux 6.18; the live kernel says the same)
NULL_VERDICT = "reject: insn 3: Possibly NULL pointer passed to trusted arg0"
LEAK_MESSAGE = "BPF_EXIT instruction in main prog would lead to reference leak"
EXPECT_TIMEOUT = 30_000  # ms for a view to follow a click (a re-verify and a new picture)

# selectors, inside a cell (CSS classes from the kfunclab.widgets docstrings)
VERDICT = ".widget-label.kfunclab-verdict"  # the Label; the badge spans share kfunclab-verdict
BADGE = ".kfunclab-verdict-badge"
RET_NULL = ".kfunclab-flag-KF_RET_NULL input[type=checkbox]"
STATE_INSN = ".kfunclab-explorer-state .kfunclab-state-insn"
CURRENT_ROW = ".kfunclab-explorer-listing .kfunclab-insn-current"
NEXT, PREV = "button.kfunclab-step-next", "button.kfunclab-step-prev"
REJECTED_SELECT = ".kfunclab-rejected-select select"
FAILING_ROW = ".kfunclab-rejected-message .kfunclab-insn-failing"
REJECTED_PICTURE = "img.kfunclab-rejected-picture"
RESULT_MESSAGE = ".kfunclab-result .kfunclab-message"
RESULT_FAILING = ".kfunclab-result .kfunclab-insn-failing"
LEAKED_EVENT = ".kfunclab-ref-table .kfunclab-ref-leaked"
REF_PICTURE = "img.kfunclab-ref-picture"

# pixels of kfunclab.viz.style.REJECTED (#d62728, a leak) in an <img>; 0 when none drawn
_RED_PIXELS = """
img => {
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d'); g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4)
    if (d[i] > 150 && d[i + 1] < 90 && d[i + 2] < 90 && d[i] - d[i + 1] > 100) n++;
  return n;
}
"""


def find_cell(nb: LabNotebook, marker: str) -> tuple[Any, str]:
    """The fixture notebook's cell holding ``marker`` (a locator) and how to name it."""
    cells = json.loads((FIXTURES / NOTEBOOK).read_text())["cells"]
    for i, cell in enumerate(cells):
        source = "".join(cell["source"])
        if marker in source:
            return nb.cell(i), f"{NOTEBOOK} cell {i} ({source.splitlines()[0]!r})"
    raise LookupError(f"{NOTEBOOK} has no cell with {marker!r}")


@pytest.fixture(scope="module")
def fixture_nb(lab: Any, browser: Any) -> Iterator[LabNotebook]:
    """The fixture notebook, open and run once, every cell clean."""
    with opened(browser, lab, f"fixtures/{NOTEBOOK}") as nb:
        nb.run_all(RUN_TIMEOUT)
        nb.wait_for_widgets()
        problems = [p for e, s in zip(expectations(FIXTURES / NOTEBOOK), nb.cells(),
                                      strict=True) for p in cell_problems(e, s)]
        assert not problems, "\n".join(f"{NOTEBOOK} {p}" for p in problems)
        yield nb
        nb.screenshot("fixture-interactions")  # as the clicks left it


def expect(locator: Any, what: str) -> Any:
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator, what)


def test_playground_ret_null_flag_changes_the_verdict(fixture_nb: LabNotebook) -> None:
    cell, at = find_cell(fixture_nb, "# browser-test: playground")
    verdict, box, badge = cell.locator(VERDICT), cell.locator(RET_NULL), cell.locator(BADGE)
    # bpf_task_from_pid is KF_ACQUIRE | KF_RET_NULL in linux 6.18: the box starts ticked
    expect(box, f"{at}: {RET_NULL} starts ticked").to_be_checked()
    expect(verdict, f"{at}: {VERDICT} with KF_RET_NULL").to_have_text(
        NULL_VERDICT, timeout=EXPECT_TIMEOUT)
    box.uncheck()
    expect(verdict, f"{at}: {VERDICT} after unticking KF_RET_NULL ({RET_NULL})").to_have_text(
        "accept", timeout=EXPECT_TIMEOUT)
    expect(badge, f"{at}: {BADGE} after unticking KF_RET_NULL").to_have_text("ACCEPT")
    box.check()
    expect(verdict, f"{at}: {VERDICT} after ticking KF_RET_NULL again ({RET_NULL})"
           ).to_have_text(NULL_VERDICT, timeout=EXPECT_TIMEOUT)
    expect(badge, f"{at}: {BADGE} after ticking KF_RET_NULL").to_have_text("REJECT")


def test_explorer_steps_forward_and_back(fixture_nb: LabNotebook) -> None:
    cell, at = find_cell(fixture_nb, "# browser-test: explorer")
    insn, current = cell.locator(STATE_INSN), cell.locator(CURRENT_ROW)

    def shows(step: int, index: int, after: str) -> None:
        expect(insn, f"{at}: {STATE_INSN} {after}").to_have_attribute(
            "data-insn", str(index), timeout=EXPECT_TIMEOUT)
        expect(insn, f"{at}: {STATE_INSN} {after}").to_have_text(
            re.compile(rf"^step {step}/4 · insn {index}: "))
        expect(current, f"{at}: {CURRENT_ROW} {after}").to_have_attribute(
            "data-insn", str(index))

    # the path of ACQUIRE_THEN_USE is insns 0, 1, 2, 3 (rejected at 3)
    shows(1, 0, "at first")
    expect(cell.locator(PREV), f"{at}: {PREV} at the first step").to_be_disabled()
    cell.locator(NEXT).click()
    shows(2, 1, f"after one click on {NEXT}")
    cell.locator(NEXT).click()
    shows(3, 2, f"after two clicks on {NEXT}")
    cell.locator(PREV).click()
    shows(2, 1, f"after {NEXT} twice and {PREV} once")
    cell.locator(PREV).click()
    shows(1, 0, f"after {PREV} back to the start")


def test_rejected_paths_choice_moves_the_failing_instruction(fixture_nb: LabNotebook) -> None:
    cell, at = find_cell(fixture_nb, "# browser-test: rejected paths")
    select, failing = cell.locator(REJECTED_SELECT), cell.locator(FAILING_ROW)
    picture = cell.locator(REJECTED_PICTURE)
    # TWO_LEAKS: rejected path 1 leaks at the exit at insn 7, path 2 at the exit at insn 9
    expect(failing, f"{at}: {FAILING_ROW} for the first rejected path").to_have_attribute(
        "data-insn", "7")
    first_picture = picture.get_attribute("src")
    select.select_option(index=1)
    expect(failing, f"{at}: {FAILING_ROW} after choosing the second path in "
                    f"{REJECTED_SELECT}").to_have_attribute("data-insn", "9",
                                                            timeout=EXPECT_TIMEOUT)
    expect(picture, f"{at}: {REJECTED_PICTURE} redrawn for the second path"
           ).not_to_have_attribute("src", first_picture or "", timeout=EXPECT_TIMEOUT)
    select.select_option(index=0)
    expect(failing, f"{at}: {FAILING_ROW} back on the first path").to_have_attribute(
        "data-insn", "7", timeout=EXPECT_TIMEOUT)


def test_bpf_cell_shows_the_leaked_reference(fixture_nb: LabNotebook) -> None:
    cell, at = find_cell(fixture_nb, "%%bpf syscall")
    expect(cell.locator(RESULT_MESSAGE), f"{at}: {RESULT_MESSAGE}").to_have_text(LEAK_MESSAGE)
    # the exit of the non-NULL branch (insn 5) is where the task reference leaks
    expect(cell.locator(RESULT_FAILING), f"{at}: {RESULT_FAILING}").to_have_attribute(
        "data-insn", "5")
    images = cell.locator(RENDERED_IMAGE)
    expect(images, f"{at}: the reference-lifetime picture ({RENDERED_IMAGE})"
           ).to_have_count(1)
    red = images.first.evaluate(_RED_PIXELS)
    assert red > 50, (f"{at}: the picture ({RENDERED_IMAGE}) has {red} red pixels; a leaked "
                      "reference is drawn red")
    cell, at = find_cell(fixture_nb, "# browser-test: reference lifetimes")
    leaked = cell.locator(LEAKED_EVENT)
    expect(leaked, f"{at}: {LEAKED_EVENT}").to_have_count(1)
    expect(leaked, f"{at}: {LEAKED_EVENT}").to_have_attribute("data-insn", "5")
    red = cell.locator(REF_PICTURE).evaluate(_RED_PIXELS)
    assert red > 50, (f"{at}: the picture ({REF_PICTURE}) has {red} red pixels; a leaked "
                      "reference is drawn red")
