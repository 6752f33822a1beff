"""C source lines in the views: a program built from C (``Program.c_lines``, from an object's
line_info) shows ``; text @ file:N`` above the first instruction each C line produced, the way
the kernel's log does; assembly programs show none. Pure renderers, no browser."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from kfunclab.isa.parser import parse_program
from kfunclab.verifier import verify, verify_text
from kfunclab.verifier.cfg import build_cfg
from kfunclab.viz.dot import cfg_to_dot
from kfunclab.viz.html import listing_html, result_html
from kfunclab.viz.paths import full_path, ref_events_on_path
from kfunclab.viz.refs import event_label
from kfunclab.viz.text import block_lines, c_line_of, c_line_starts
from kfunclab.widgets.render import render_refs, render_rejected, render_state

LEAK_ASM = """# SEC("syscall")
    r1 = 1
    call bpf_task_from_pid
    r6 = r0
    r0 = 0
    exit
"""
ACQUIRE = ("leak.bpf.c", 7, "\tstruct task_struct *t = bpf_task_from_pid(1);")
RETURN = ("leak.bpf.c", 9, "\treturn 0;")
# as clang emits it: two records for the acquiring line (two columns), one for the return
C_LINES = {0: ACQUIRE, 1: ACQUIRE, 3: RETURN}


@pytest.fixture(scope="module")
def leak():
    program = replace(parse_program(LEAK_ASM), c_lines=C_LINES)
    return verify(program, btf="bundled")


def rows(html: str) -> list[str]:
    return re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S)


def c_row_before(html: str, insn: int) -> str:
    """The row right above instruction ``insn``'s row in a listing."""
    table = rows(html)
    at = next(i for i, r in enumerate(table) if f'data-insn="{insn}"' in r)
    return table[at - 1]


def test_c_lines_start_where_the_record_changes() -> None:
    program = replace(parse_program(LEAK_ASM), c_lines=C_LINES)
    assert sorted(c_line_starts(program)) == [0, 3]
    assert c_line_of(program, 2) == ACQUIRE and c_line_of(program, 4) == RETURN


def test_listing_shows_each_c_line_above_its_first_instruction(leak) -> None:
    html = listing_html(leak.program)
    assert html.count("kfunclab-c-line") == 2
    above0 = c_row_before(html, 0)
    assert "; struct task_struct *t = bpf_task_from_pid(1); @ leak.bpf.c:7" in above0
    assert "; return 0; @ leak.bpf.c:9" in c_row_before(html, 3)
    assert "kfunclab-c-line" not in c_row_before(html, 1)  # same line: not printed again


def test_result_view_names_the_failing_instructions_c_line(leak) -> None:
    assert leak.verdict.value == "reject" and leak.error.insn == 4
    html = result_html(leak)
    diag = re.search(r'class="kfunclab-diagnostic".*?class="kfunclab-message"', html, re.S)
    assert diag is not None and "; return 0; @ leak.bpf.c:9" in diag.group(0)


def test_rejected_path_and_state_explorer_show_c_lines(leak) -> None:
    rejected = render_rejected(leak, 0)
    assert "; struct task_struct *t = bpf_task_from_pid(1); @ leak.bpf.c:7" in rejected
    state = render_state(leak, leak.error.path_id, 1)  # step 2: the call at insn 1
    assert 'data-insn="1"' in state and "@ leak.bpf.c:7" in state


def test_reference_views_name_where_it_was_acquired(leak) -> None:
    html = render_refs(leak)
    assert "C source" in html and "@ leak.bpf.c:7" in html
    life = leak.references[0]
    placed = ref_events_on_path(leak, life)
    positions = full_path(leak)
    labels = [event_label([p], positions, leak.program) for p in placed]
    assert labels[0] == "acquired R0 @ leak.bpf.c:7"
    assert labels[-1] == "leaked at insn 4 @ leak.bpf.c:9"


def test_cfg_boxes_and_dot_carry_c_lines(leak) -> None:
    cfg = build_cfg(leak.program)
    lines = block_lines(cfg, cfg.blocks[0])
    texts = [ln.text for ln in lines]
    assert texts[0] == "; struct task_struct *t = bpf_task_from_pid(1); @ leak.bpf.c:7"
    assert texts.index("; return 0; @ leak.bpf.c:9") == texts.index("3: r0 = 0") - 1
    assert all(ln.slot is None for ln in lines if ln.text.startswith(";"))
    assert "leak.bpf.c:9" in cfg_to_dot(cfg, leak)


def test_assembly_programs_show_no_c_lines() -> None:
    result = verify_text(LEAK_ASM, btf="bundled")
    assert result.program.c_lines == {}
    for html in (result_html(result), render_rejected(result, 0), render_refs(result),
                 render_state(result, result.error.path_id, 1)):
        assert "kfunclab-c-line" not in html and "C source" not in html
    cfg = build_cfg(result.program)
    assert not any(ln.text.startswith(";") for b in cfg.blocks for ln in block_lines(cfg, b))


def test_pictures_draw_with_c_lines(leak) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from kfunclab.viz import draw_cfg, draw_ref_lifetimes

    texts = [t.get_text() for t in draw_cfg(leak).axes[0].texts]
    assert "; return 0; @ leak.bpf.c:9" in texts
    labels = [t.get_text() for t in draw_ref_lifetimes(leak).axes[0].texts]
    assert "leaked at insn 4 @ leak.bpf.c:9" in labels
