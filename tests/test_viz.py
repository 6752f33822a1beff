"""matplotlib pictures of kfunclab.viz, built from real verification results (Agg, no GUI).

Figures are checked by their artists: block boxes (gid "block"), the failing instruction's red
patch and note, reference rows and the leak label, state table rows. The big program is rendered
to PNG as a smoke test of legibility limits (fonts never below 7 pt, figure sized from layout).
"""

from __future__ import annotations

import re

import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")

from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from test_viz_layout import LEAK_ON_BRANCH, big_program  # noqa: E402  (tests/ is on sys.path)

from kfunclab.verifier import verify_text  # noqa: E402
from kfunclab.verifier.cfg import build_cfg  # noqa: E402
from kfunclab.viz import (  # noqa: E402
    ViewError,
    draw_cfg,
    draw_ref_lifetimes,
    draw_rejected_paths,
    draw_state_table,
    style,
)

# Two exits leak on two different paths (collect_all finds both).
TWO_LEAKS = """\
# SEC("syscall")
	r1 = 1
	call bpf_cgroup_from_id
	if r0 == 0 goto out
	r6 = r0
	call bpf_get_prandom_u32
	if r0 > 5 goto a
	r1 = r6
	call bpf_cgroup_release
	goto out
a:
	if r0 > 9 goto out  # leak 1: exits through out
	r0 = 1
	exit  # leak 2
out:
	r0 = 0
	exit
"""

COUNT_DOWN = """\
# SEC("tc")
	r8 = 3
	r0 = 0
again:
	r0 += r8
	r8 += -1
	if r8 != 0 goto again
	exit
"""


@pytest.fixture(scope="module")
def leak():
    return verify_text(LEAK_ON_BRANCH, collect_all=True)


@pytest.fixture(scope="module")
def big():
    return verify_text(big_program(), collect_all=True)


def _texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_text()]


def _by_gid(fig, gid: str) -> list:
    return [a for a in fig.findobj() if a.get_gid() == gid]


# --- draw_cfg -----------------------------------------------------------------------------------
def test_one_box_per_block_and_the_failing_insn_in_red(leak):
    fig = draw_cfg(leak)
    assert len(_by_gid(fig, "block")) == len(build_cfg(leak.program).blocks)
    (patch,) = _by_gid(fig, "failing-insn")
    assert to_hex(patch.get_edgecolor()) == style.REJECTED
    (note,) = _by_gid(fig, "failing-note")
    assert note.get_text().splitlines()[0] == "insn 10: exit"
    message = "BPF_EXIT instruction in main prog would lead to reference leak"
    assert message in " ".join(note.get_text().split())
    assert "Unreleased reference id=2 alloc_insn=1" in note.get_text()
    assert to_hex(note.get_bbox_patch().get_edgecolor()) == style.REJECTED
    failing_line = [t for t in _texts(fig) if t.get_text() == "10: exit"]
    assert [to_hex(t.get_color()) for t in failing_line] == [style.REJECTED]


def test_path_edges_and_boxes_are_red_and_others_are_not(leak):
    fig = draw_cfg(leak)
    red = [a for a in _by_gid(fig, "edge") if to_hex(a.get_edgecolor()) == style.REJECTED]
    assert len(red) == 2  # 0-2 -> 3-6 (F), 3-6 -> out (T): the path 0..6, 9, 10
    boxes = _by_gid(fig, "block")
    assert sum(to_hex(b.get_edgecolor()) == style.REJECTED for b in boxes) == 3
    labels = {t.get_text() for t in _texts(fig)}
    assert {"T", "F"} <= labels


def test_pruned_points_are_tagged(leak):
    (event,) = leak.prune_events
    fig = draw_cfg(leak)
    assert [t.get_text() for t in _by_gid(fig, "pruned")] == ["pruned ×1"]
    assert not _by_gid(draw_cfg(leak, show_pruned=False), "pruned")
    assert event.insn == 9


def test_heat_shades_each_processed_insn_with_its_count(leak):
    fig = draw_cfg(leak, heat=True)
    counts = [t.get_text() for t in _by_gid(fig, "visits")]
    assert len(counts) == len(leak.program.insns)
    assert sorted(counts) == sorted(f"{leak.visits.get(i, 0)}×" for i in range(11))
    assert len(_by_gid(fig, "heat")) == sum(1 for v in leak.visits.values() if v)
    shades = {to_hex(p.get_facecolor()) for p in _by_gid(fig, "heat")}
    assert len(shades) == len(set(leak.visits.values()))  # 1×, 2×, 3× differ


def test_loop_back_edge_is_drawn_apart_and_heat_counts_iterations():
    result = verify_text(COUNT_DOWN)
    fig = draw_cfg(result, heat=True)
    (back,) = _by_gid(fig, "back-edge")
    assert back.get_linestyle() == "--"
    assert to_hex(back.get_edgecolor()) == style.BACK
    assert "3×" in [t.get_text() for t in _by_gid(fig, "visits")]


def test_a_plain_cfg_draws_without_a_result_and_heat_needs_one():
    cfg = build_cfg(verify_text(COUNT_DOWN).program)
    fig = draw_cfg(cfg)
    assert len(_by_gid(fig, "block")) == 3 and not _by_gid(fig, "failing-note")
    with pytest.raises(ViewError, match="heat=True needs a VerificationResult"):
        draw_cfg(cfg, heat=True)
    with pytest.raises(ViewError, match="outside the program"):
        draw_cfg(cfg, failing_insn=40)


def test_highlight_path_by_id_and_failing_insn_by_hand(leak):
    fig = draw_cfg(leak, highlight_path=0, failing_insn=8)
    (note,) = _by_gid(fig, "failing-note")
    # no message: insn 8 is not where the verifier failed (the call names its BTF id if known)
    assert re.fullmatch(r"insn 8: call bpf_cgroup_release(#\d+)?", note.get_text())
    red = [a for a in _by_gid(fig, "edge") if to_hex(a.get_edgecolor()) == style.REJECTED]
    assert len(red) == 3  # path 0 walks 0-2, 3-6, 7-8, out


def test_big_program_stays_legible(big, tmp_path):
    fig = draw_cfg(big, heat=True, max_lines_per_block=10)
    cfg = build_cfg(big.program)
    assert len(big.program.insns) >= 120
    assert len(_by_gid(fig, "block")) == len(cfg.blocks)
    sizes = [t.get_fontsize() for t in _texts(fig)]
    assert min(sizes) >= style.SMALL
    # the 28-instruction block: 8 first lines, "… 19 more", the last one
    assert any(re.fullmatch(r"\s*… 19 more", t.get_text()) for t in _texts(fig))
    # sized from the layout: one point of drawing per point of figure, so it grows tall
    assert fig.get_figheight() > 20 and fig.get_figwidth() < 25
    out = tmp_path / "big.png"
    fig.savefig(out, dpi=40)
    assert out.stat().st_size > 10_000


# --- draw_rejected_paths ------------------------------------------------------------------------
def test_one_panel_per_rejected_path():
    result = verify_text(TWO_LEAKS, collect_all=True)
    assert len(result.rejected) == 2
    fig = draw_rejected_paths(result)
    assert len(fig.axes) == 2
    notes = [n.get_text().splitlines()[0] for n in _by_gid(fig, "failing-note")]
    assert sorted(notes) == ["insn 11: exit", "insn 13: exit"]
    titles = [t.get_text() for t in _texts(fig) if t.get_text().startswith("rejected path")]
    assert titles == ["rejected path 1 of 2 (path #1)", "rejected path 2 of 2 (path #2)"]


def test_accepted_result_has_no_rejected_panels():
    fig = draw_rejected_paths(verify_text(COUNT_DOWN))
    assert [t.get_text() for t in _texts(fig)] == ["accepted: no rejected paths"]


# --- draw_ref_lifetimes -------------------------------------------------------------------------
def test_one_row_per_reference_and_an_unmistakable_leak(leak):
    fig = draw_ref_lifetimes(leak)
    rows = [t for t in _texts(fig) if t.get_text().startswith("ref id=")]
    assert [r.get_text().splitlines()[0] for r in rows] == ["ref id=2"]
    (label,) = _by_gid(fig, "leak-label")
    assert label.get_text() == "leaked at insn 10"
    assert to_hex(label.get_color()) == style.REJECTED
    events = {t.get_text() for t in _texts(fig)}
    assert {"acquired R0", "null-checked R0", "copied R6", "spilled fp-8"} <= events
    ticks = [t.get_text() for t in _texts(fig) if re.fullmatch(r"\d+", t.get_text())]
    assert ticks == ["0", "1", "2", "3", "4", "5", "6", "9", "10"]


def test_released_reference_on_the_longest_path_is_not_leaked():
    result = verify_text(LEAK_ON_BRANCH.replace("\tif r0 > 7 goto out  # leak", "# no leak"))
    assert result.accepted
    fig = draw_ref_lifetimes(result)
    assert not _by_gid(fig, "leak-label")
    assert "passed R1 · released R1" in {t.get_text() for t in _texts(fig)}


def test_no_references_says_so():
    fig = draw_ref_lifetimes(verify_text(COUNT_DOWN))
    assert "no references acquired on path #0" in {t.get_text() for t in _texts(fig)}


def test_long_paths_fold_quiet_stretches(big):
    fig = draw_ref_lifetimes(big)
    folds = [t.get_text() for t in _texts(fig) if re.fullmatch(r"\(\d+\)", t.get_text())]
    assert folds and fig.get_figwidth() < 15
    assert _by_gid(fig, "leak-label")[0].get_text() == f"leaked at insn {big.error.insn}"


# --- draw_state_table ---------------------------------------------------------------------------
def test_state_table_shows_registers_stack_and_references(leak):
    fig = draw_state_table(leak, insn=4)
    texts = [t.get_text() for t in _texts(fig)]
    for i in range(11):
        assert f"R{i}" in texts
    assert "fp-8" in texts and texts[texts.index("fp-8") + 1] == "ptr_cgroup(ref_obj_id=2)"
    assert "acquired at insn 1 from bpf_cgroup_from_id" in texts
    assert texts[0] == "after insn 4: *(u64 *)(r10 - 8) = r6"
    # the spill changed fp-8 only: it alone is bold
    bold = [t.get_text() for t in _texts(fig) if t.get_fontweight() == "bold" and
            t.get_fontfamily() == [style.MONO] and t.get_text() in ("fp-8", "R6")]
    assert bold == ["fp-8"]


def test_state_table_defaults_to_the_rejected_insn_and_knows_its_limits(leak):
    fig = draw_state_table(leak)
    texts = [t.get_text() for t in _texts(fig)]
    assert texts[0] == "rejecting insn 10: exit"
    assert any("rejected here: BPF_EXIT instruction" in t for t in texts)
    assert draw_state_table(leak, step=0).findobj(Text)[0] is not None
    with pytest.raises(ViewError, match="insn 7 is not on path #1"):
        draw_state_table(leak, insn=7)
    with pytest.raises(ViewError, match="step 40 is not on path #1"):
        draw_state_table(leak, step=40)


def test_static_rejection_marks_the_insn_but_has_no_paths_to_show():
    result = verify_text('# SEC("xdp")\n r0 = 0\n exit\n r0 = 1  # unreachable\n exit\n')
    assert result.error is not None and result.error.insn == 2 and not result.paths
    (note,) = _by_gid(draw_cfg(result), "failing-note")
    assert note.get_text() == "insn 2: r0 = 1\nunreachable insn 2"
    with pytest.raises(ViewError, match=r"no explored paths .*unreachable insn 2"):
        draw_ref_lifetimes(result)


def test_no_text_below_seven_points(leak, big):
    figures = [draw_cfg(big, heat=True), draw_rejected_paths(leak), draw_ref_lifetimes(big),
               draw_state_table(big)]
    for fig in figures:
        assert min(t.get_fontsize() for t in _texts(fig)) >= 7.0
