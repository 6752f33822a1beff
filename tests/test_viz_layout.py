"""The pure parts of kfunclab.viz: layered layout, block text, whole paths, DOT export.

No matplotlib here. Programs are small and written for these tests; ``big_program`` generates a
~120-instruction one (a long block, a loop, a switch, diamonds, a subprogram call and a leak)
that the drawing tests in test_viz.py render too.
"""

from __future__ import annotations

import itertools
import re

import pytest

from kfunclab.isa.parser import parse_program
from kfunclab.verifier import RefEventKind, verify_text
from kfunclab.verifier.cfg import build_cfg
from kfunclab.viz.dot import cfg_to_dot, escape
from kfunclab.viz.layout import block_edges, layout_cfg
from kfunclab.viz.paths import ViewError, full_path, ref_events_on_path
from kfunclab.viz.text import block_lines

# The reference is spilled to fp-8, filled into r1 and released -- except when r0 > 7.
LEAK_ON_BRANCH = """\
# SEC("syscall")
	r1 = 1
	call bpf_cgroup_from_id
	if r0 == 0 goto out
	r6 = r0
	*(u64 *)(r10 - 8) = r6
	call bpf_get_prandom_u32
	if r0 > 7 goto out  # leak: the release is skipped
	r1 = *(u64 *)(r10 - 8)
	call bpf_cgroup_release
out:
	r0 = 0
	exit
"""

# Program order puts a before b and c before d, but a -> d and b -> c: drawn in program order
# the two edges cross; the barycenter sweep swaps c and d.
CROSSED = """\
# SEC("xdp")
	if r1 == 0 goto b
a:
	goto d
b:
	goto c
c:
	r0 = 1
	exit
d:
	r0 = 2
	exit
"""


def big_program(diamonds: int = 6, cases: int = 5) -> str:
    """~120 instructions: acquire, a 28-instruction block, a loop, a switch, diamonds, a
    subprogram call and a release skipped when r7 > 300 (the leak)."""
    lines = ['# SEC("syscall")', "\tr1 = 1", "\tcall bpf_cgroup_from_id",
             "\tif r0 == 0 goto out", "\tr6 = r0", "\t*(u64 *)(r10 - 8) = r6"]
    lines += [f"\t*(u64 *)(r10 - {16 + 8 * k}) = {k}" for k in range(24)]
    lines += ["\tr8 = 4", "\tr7 = 0", "loop:", "\tcall bpf_get_prandom_u32", "\tr7 += r0",
              "\tr7 &= 255", "\tr8 += -1", "\tif r8 != 0 goto loop",
              "\tcall bpf_get_prandom_u32", "\tr9 = r0", "\tr9 &= 7"]
    lines += [f"\tif r9 == {k} goto case{k}" for k in range(cases)]
    lines += ["\tr7 = 1", "\tgoto switch_end"]
    for k in range(cases):
        lines += [f"case{k}:", f"\tr7 += {k + 2}", "\tgoto switch_end"]
    lines += ["switch_end:", "\tr1 = r7", "\tcall helper", "\tr7 = r0"]
    for k in range(diamonds):
        lines += ["\tcall bpf_get_prandom_u32", "\tr9 = r0", f"\tr9 &= {2 ** (k % 5 + 1) - 1}",
                  f"\tif r9 > {k + 1} goto d{k}_else", f"\tr7 += {k}", "\tr7 &= 1023",
                  f"\tgoto d{k}_join", f"d{k}_else:", f"\tr7 -= {k}", "\tr7 &= 511",
                  f"d{k}_join:"]
    lines += ["\tr6 = *(u64 *)(r10 - 8)", "\tr1 = r6",
              "\tif r7 > 300 goto out  # leak: release skipped",
              "\tcall bpf_cgroup_release", "out:", "\tr0 = 0", "\texit",
              "helper:", "\tr0 = r1", "\tr0 &= 63", "\tif r0 < 10 goto small", "\tr0 = 10",
              "small:", "\texit"]
    return "\n".join(lines) + "\n"


def block_at(cfg, slot):
    return cfg.block_of(slot)


# --- layout ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [LEAK_ON_BRANCH, CROSSED, big_program()],
                         ids=["leak", "crossed", "big"])
def test_layout_boxes_do_not_overlap_and_forward_edges_go_down(text):
    cfg = build_cfg(parse_program(text))
    lay = layout_cfg(cfg)
    assert len(lay.boxes) == len(cfg.blocks)
    for a, b in itertools.combinations(lay.boxes.values(), 2):
        apart_x = a.right <= b.x or b.right <= a.x
        apart_y = a.bottom <= b.y or b.bottom <= a.y
        assert apart_x or apart_y, f"{a.header} overlaps {b.header}"
    for route in lay.routes:
        if route.back or route.call:
            continue
        src, dst = lay.boxes[route.src], lay.boxes[route.dst]
        assert dst.layer > src.layer and dst.y > src.bottom
        assert route.points[0][1] == src.bottom and route.points[-1][1] == dst.y


def test_long_edges_run_between_boxes_not_through_them():
    cfg = build_cfg(parse_program(big_program()))
    lay = layout_cfg(cfg)
    long_edges = [r for r in lay.routes if len(r.points) > 2 and not r.back and not r.call]
    assert long_edges, "the big program has an edge over several layers"
    for route in long_edges:
        for (x0, y0), (x1, y1) in itertools.pairwise(route.points):
            if x0 != x1:
                continue  # a curve between layers, where there are no boxes
            for box in lay.boxes.values():
                inside_x = box.x < x0 < box.right
                inside_y = min(y0, y1) < box.bottom and box.y < max(y0, y1)
                assert not (inside_x and inside_y), f"{route.src} -> {route.dst} crosses {box}"


def test_back_edges_are_the_cfgs_and_run_right_of_the_loop():
    cfg = build_cfg(parse_program(big_program()))
    lay = layout_cfg(cfg)
    back = {(r.src, r.dst) for r in lay.routes if r.back}
    assert back == set(cfg.back_edges())
    (route,) = [r for r in lay.routes if r.back]
    loop_box = lay.boxes[route.dst]
    channel_x = route.points[1][0]
    assert channel_x > loop_box.right
    assert route.label == "T"  # if r8 != 0 goto loop


def test_barycenter_order_removes_the_crossing():
    cfg = build_cfg(parse_program(CROSSED))
    lay = layout_cfg(cfg)
    prog = cfg.program
    a, b = block_at(cfg, prog.labels["a"]), block_at(cfg, prog.labels["b"])
    c, d = block_at(cfg, prog.labels["c"]), block_at(cfg, prog.labels["d"])
    assert lay.boxes[a].layer == lay.boxes[b].layer == 1
    assert lay.boxes[a].cx < lay.boxes[b].cx
    assert lay.boxes[d].cx < lay.boxes[c].cx  # a -> d on the left, b -> c on the right


def test_edges_are_labelled_taken_and_fall_through():
    cfg = build_cfg(parse_program(LEAK_ON_BRANCH))
    lay = layout_cfg(cfg)
    labels = {(r.src.start, r.dst.start): r.label for r in lay.routes}
    out = cfg.program.labels["out"]
    assert labels[0, out] == "T"  # if r0 == 0 goto out
    assert labels[0, 3] == "F"
    assert labels[7, out] == ""  # the release falls into out: not a conditional edge


def test_subprograms_sit_side_by_side_with_a_call_edge():
    cfg = build_cfg(parse_program(big_program()))
    lay = layout_cfg(cfg)
    helper = block_at(cfg, cfg.program.labels["helper"])
    calls = [r for r in lay.routes if r.call]
    assert [r.dst for r in calls] == [helper]
    main_right = max(b.right for b in lay.boxes.values() if b.block.subprog == 0)
    assert lay.boxes[helper].x > main_right
    assert [t[2] for t in lay.titles] == ["main program", "subprog 1: helper"]


# --- block text --------------------------------------------------------------------------------
def test_long_block_is_cut_with_a_count_and_keeps_important_slots():
    cfg = build_cfg(parse_program(big_program()))
    block = block_at(cfg, 3)  # r6 = r0, then 24 stores ... r7 = 0
    assert len(block.slots) == 28
    lines = block_lines(cfg, block, max_lines=8, keep={20})
    assert len(lines) <= 8
    shown = [ln.slot for ln in lines if ln.slot is not None]
    assert shown[0] == block.start and shown[-1] == block.end and 20 in shown
    hidden = sum(ln.hidden for ln in lines if ln.slot is None)
    assert hidden == len(block.slots) - len(shown)
    assert all(re.fullmatch(r"\s*… \d+ more", ln.text) for ln in lines if ln.slot is None)


def test_block_lines_number_slots_and_name_jump_targets():
    cfg = build_cfg(parse_program(LEAK_ON_BRANCH))
    texts = [ln.text for ln in block_lines(cfg, cfg.blocks[0])]
    assert texts == [" 0: r1 = 1", " 1: call bpf_cgroup_from_id", " 2: if r0 == 0 goto out"]
    kernel = [ln.text for ln in block_lines(cfg, cfg.blocks[0], syntax="kernel")]
    assert kernel[2] == " 2: (15) if r0 == 0x0 goto pc+6"  # out is slot 9


# --- whole paths -------------------------------------------------------------------------------
def test_full_path_of_the_rejected_path_is_its_diagnostic_path():
    result = verify_text(LEAK_ON_BRANCH)
    assert result.error is not None and result.error.insn == 10
    walk = full_path(result)
    assert tuple(p.insn for p in walk) == result.error.path == (0, 1, 2, 3, 4, 5, 6, 9, 10)
    # at the branch point the state is the one on the taken side (r0 > 7)
    assert walk[6].path_id == 0 and "R0" in walk[6].state.live_regs()


def test_reference_events_are_placed_on_the_walk():
    result = verify_text(LEAK_ON_BRANCH, collect_all=True)
    (ref,) = result.references
    placed = ref_events_on_path(result, ref, result.error.path_id)
    kinds = [(p.position, p.event.kind) for p in placed]
    assert kinds == [(1, RefEventKind.ACQUIRED), (2, RefEventKind.NULL_CHECKED),
                     (3, RefEventKind.COPIED), (4, RefEventKind.SPILLED),
                     (8, RefEventKind.LEAKED)]
    assert [p.event.where for p in placed][2:4] == ["R6", "fp-8"]
    # the NULL branch replaces the parent's "null-checked" at the same jump
    null_path = next(p.id for p in result.paths if p.branch_insn == 2)
    on_null = ref_events_on_path(result, ref, null_path)
    assert [p.event.kind for p in on_null] == [RefEventKind.ACQUIRED, RefEventKind.NULL_BRANCH]


def test_unknown_path_id_is_a_view_error():
    result = verify_text(LEAK_ON_BRANCH)
    with pytest.raises(ViewError, match="no explored path with id 99"):
        full_path(result, 99)


# --- DOT ---------------------------------------------------------------------------------------
_NODE = re.compile(r'^\s*(b\d+) \[label="((?:[^"\\]|\\.)*)"(.*)\];$', re.M)
_EDGE = re.compile(r"^\s*(b\d+) -> (b\d+) \[(.*)\];$", re.M)


def _strip_strings(text: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)


def test_dot_has_one_node_per_block_and_one_edge_per_block_edge():
    cfg = build_cfg(parse_program(big_program()))
    dot = cfg_to_dot(cfg)
    assert dot.startswith("digraph cfg {\n") and dot.rstrip().endswith("}")
    bare = _strip_strings(dot)
    assert bare.count("{") == bare.count("}")
    nodes = _NODE.findall(dot)
    assert sorted(n for n, _, _ in nodes) == sorted(f"b{b.start}" for b in cfg.blocks)
    edges = _EDGE.findall(dot)
    assert len(edges) == len(block_edges(cfg))
    back = [(s, d) for s, d, attrs in edges if "dashed" in attrs]
    assert back == [(f"b{t.start}", f"b{h.start}") for t, h in cfg.back_edges()]
    assert sum("dotted" in attrs for _, _, attrs in edges) == 1  # call helper
    assert "subgraph cluster_1" in dot


def test_dot_highlights_the_rejected_path_and_the_failing_block():
    result = verify_text(LEAK_ON_BRANCH)
    cfg = build_cfg(result.program)
    dot = cfg_to_dot(cfg, result)
    red = {(s, d) for s, d, attrs in _EDGE.findall(dot) if "#d62728" in attrs}
    assert red == {("b0", "b3"), ("b3", "b9")}
    failing = {n: attrs for n, _, attrs in _NODE.findall(dot)}["b9"]
    assert "fillcolor" in failing
    assert "reference leak" in dot.splitlines()[4]


def test_dot_escapes_quotes_and_braces_in_labels():
    assert escape('a "b" {c} <d> e|f \\') == 'a \\"b\\" \\{c\\} \\<d\\> e\\|f \\\\'
    text = '# SEC("xdp")\n# MAP: m hash key=u32 value=u64\n r1 = m ll\n r0 = 0\n exit\n'
    dot = cfg_to_dot(build_cfg(parse_program(text)))
    for _, label, _ in _NODE.findall(dot):
        assert not re.search(r'(?<!\\)["{}]', label)


def test_a_long_edge_runs_down_one_straight_line():
    cfg = build_cfg(parse_program(big_program()))
    lay = layout_cfg(cfg)
    out = block_at(cfg, cfg.program.labels["out"])
    (route,) = [r for r in lay.routes if r.src == cfg.blocks[0] and r.dst == out]
    dummies = route.points[1:-1]
    assert len(dummies) > 20  # over the whole main program
    assert len({x for x, _ in dummies}) == 1
