"""The notebook widgets, driven from Python: pure renderers first, then the widget wiring."""

from __future__ import annotations

import importlib.util

import pytest

from kfunclab.kfuncs import KF, PROG_TYPES, Annotation, load_catalog
from kfunclab.verifier import verify, verify_text
from kfunclab.widgets import catalogs, render
from kfunclab.widgets.source import parse_cell

# a reference leaked on the non-NULL side (insns 0-5), nothing to leak on the NULL side
LEAK = """# SEC("tp_btf/task_newtask")
    r1 = *(u64 *)(r1 + 0)
    call bpf_task_acquire
    if r0 == 0 goto out
    r6 = r0                  # leak
    r0 = 0
    exit
out:
    r0 = 0
    exit
"""

# two failing paths for collect_all: exits at insn 6 and insn 8 both hold the reference
TWO_LEAKS = """# SEC("tp_btf/task_newtask")
    r7 = *(u64 *)(r1 + 8)
    r1 = *(u64 *)(r1 + 0)
    call bpf_task_acquire
    if r0 == 0 goto out
    if r7 == 0 goto other
    r0 = 0
    exit                     # leak 1
other:
    r0 = 1
    exit                     # leak 2
out:
    r0 = 0
    exit
"""

# both branches meet at "rel" / "out" with equivalent states: the later paths are pruned
PRUNED = """# SEC("tp_btf/task_newtask")
    r6 = *(u64 *)(r1 + 8)
    r1 = *(u64 *)(r1 + 0)
    call bpf_task_acquire
    if r0 == 0 goto out
    if r6 == 0 goto rel
    r7 = 1
rel:
    r1 = r0
    call bpf_task_release
out:
    r0 = 0
    exit
"""

# acquire and use without a NULL check (the playground's program)
FROM_PID = """# SEC("syscall")
    r1 = 1
    call bpf_task_from_pid
    r1 = r0                  # no NULL check
    call bpf_task_release
    r0 = 0
    exit
"""
NULL_MSG = "reject: insn 3: Possibly NULL pointer passed to trusted arg0"


@pytest.fixture(scope="module")
def leak():
    return verify_text(LEAK)


@pytest.fixture(scope="module")
def two_leaks():
    return verify_text(TWO_LEAKS, collect_all=True)


@pytest.fixture(scope="module")
def pruned():
    return verify_text(PRUNED)


# --- pure renderers ----------------------------------------------------------------------------


def test_path_walk_of_a_branch_starts_at_the_entry(two_leaks) -> None:
    assert [w.insn for w in render.path_walk(two_leaks, 0)] == [0, 1, 2, 3, 4, 5, 6]
    # path 1 was pushed at insn 4; its walk includes its parent's steps up to the branch
    assert [w.insn for w in render.path_walk(two_leaks, 1)] == [0, 1, 2, 3, 4, 7, 8]


def test_render_state_shows_the_acquired_reference_and_what_changed(leak) -> None:
    page = render.render_state(leak, 0, 1)  # after "call bpf_task_acquire"
    assert "step 2/6 · insn 1: call bpf_task_acquire" in page
    assert "ptr_or_null_task_struct(id=2,ref_obj_id=2)" in page
    assert 'class="kfunclab-reg kfunclab-reg-changed"' in page  # R0 is new
    assert "references held: id=2 (ptr, bpf_task_acquire, acquired at insn 1)" in page
    assert "kfunclab-path-end" not in page  # not the last step


def test_render_state_last_step_says_how_the_path_ended(leak, pruned) -> None:
    last = render.render_state(leak, 0, 5)
    assert "kfunclab-path-rejected" in last
    assert "rejected at insn 5: BPF_EXIT instruction in main prog would lead to reference leak" \
        in last
    walk = render.path_walk(pruned, 1)
    end = render.render_state(pruned, 1, len(walk) - 1)
    cp = pruned.checkpoints[0]
    assert (f"pruned at insn 8: its state is equivalent to checkpoint #{cp.id} (stored at insn "
            f"{cp.insn} by path {cp.path_id})") in end


def test_render_state_rejects_a_step_outside_the_path(leak) -> None:
    with pytest.raises(render.ExplorerError, match=r"steps 0\.\.5"):
        render.render_state(leak, 0, 6)
    with pytest.raises(render.ExplorerError, match="no explored path with id 9"):
        render.render_state(leak, 9, 0)


def test_render_refs_marks_the_leak(leak) -> None:
    page = render.render_refs(leak, 0)
    assert "acquired by bpf_task_acquire at insn 1 — LEAKED" in page
    assert 'class="kfunclab-ref-event kfunclab-ref-leaked" data-insn="5"' in page
    assert "holds no references" in render.render_refs(verify_text('# SEC("xdp")\n r0 = 2\n'
                                                                   ' exit\n'))


def test_render_rejected_highlights_each_failing_path(two_leaks) -> None:
    first, second = (render.render_rejected(two_leaks, i) for i in (0, 1))
    assert 'class="kfunclab-insn kfunclab-insn-onpath kfunclab-insn-failing"' in first
    assert 'data-insn="6"' in first.split("kfunclab-insn-failing")[1][:300]
    assert 'data-insn="8"' in second.split("kfunclab-insn-failing")[1][:300]
    assert "rejected path 2 of 2" in second


def test_verdict_line() -> None:
    assert render.verdict_line(verify_text(FROM_PID)) == NULL_MSG


# --- changed catalogues ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["linux-6.18", "linux-7.0", "doc"])
def test_catalog_table_round_trips(name: str) -> None:
    cat = catalogs.builtin_catalog(name)
    again = load_catalog(catalogs.write_catalog(catalogs.catalog_table(cat), name), cat.profile)
    assert len(again) == len(cat)
    for ptype in PROG_TYPES[1:]:
        want = [(k.name, k.flags, k.prototype()) for k in cat.registry.kfuncs_for(ptype)]
        assert [(k.name, k.flags, k.prototype())
                for k in again.registry.kfuncs_for(ptype)] == want, ptype


def test_verifying_through_a_written_catalogue_matches_the_builtin() -> None:
    path = catalogs.write_catalog(catalogs.catalog_table(catalogs.builtin_catalog("linux-6.18")),
                                  "same")
    for text in (LEAK, TWO_LEAKS, PRUNED, FROM_PID):
        prog = parse_cell(text)
        a, b = verify(prog), verify(prog, catalog=path)
        assert (a.verdict, str(a.error), a.stats) == (b.verdict, str(b.error), b.stats)


def test_write_catalog_is_content_addressed() -> None:
    table = catalogs.catalog_table(catalogs.builtin_catalog("doc"))
    assert catalogs.write_catalog(table, "x") == catalogs.write_catalog(dict(table), "x")
    table["description"] = "changed"
    assert catalogs.write_catalog(table, "x") != catalogs.write_catalog(dict(table, kernel="9"),
                                                                        "x")


def test_modified_kfunc_renames_parameters_for_annotations() -> None:
    k = catalogs.builtin_catalog("linux-6.18").registry.find("bpf_task_from_pid")
    changed = catalogs.modified_kfunc(k, KF.ACQUIRE, {0: Annotation.CONSTANT})
    assert changed.prototype() == "struct task_struct *bpf_task_from_pid(s32 pid__k)"
    assert changed.flags == KF.ACQUIRE
    back = catalogs.modified_kfunc(changed, KF.ACQUIRE, {0: Annotation.NONE})
    assert back.params[0].name == "pid"


# --- widgets -----------------------------------------------------------------------------------

needs_ipywidgets = pytest.mark.skipif(importlib.util.find_spec("ipywidgets") is None,
                                      reason="ipywidgets is not installed")


@needs_ipywidgets
def test_state_explorer_steps_follow_the_path(leak) -> None:
    from kfunclab.widgets import StateExplorer

    x = StateExplorer(leak, pictures=False)
    assert (x.path_id, x.step, x.current_insn) == (0, 0, 0)
    assert "kfunclab-explorer" in x.widget._dom_classes
    x.next()
    x.next()
    assert (x.step, x.current_insn, x.slider.value) == (2, 2, 2)
    assert 'data-insn="2">step 3/6 · insn 2: if r0 == 0 goto out' in x.state_html.value
    x.prev()
    assert x.current_insn == 1
    assert x.prev_button.disabled is False
    x.go(-1)
    assert x.current_insn == 5 and x.next_button.disabled is True
    x.next()  # stays at the end
    assert x.step == 5
    x.next_button.click()
    assert x.step == 5


@needs_ipywidgets
def test_state_explorer_picture_follows_the_step(leak) -> None:
    from kfunclab.widgets import StateExplorer
    from kfunclab.widgets.figures import viz_function

    if viz_function("draw_state_table") is None:
        pytest.skip("kfunclab.viz.draw_state_table is not available")
    x = StateExplorer(leak)
    first = x.picture.value
    x.next()
    assert first[:4] == b"\x89PNG" and x.picture.value != first
    assert repr(x) == "<StateExplorer path 0 step 1 insn 1>"


@needs_ipywidgets
def test_state_explorer_buttons_and_paths(pruned) -> None:
    from kfunclab.widgets import StateExplorer

    x = StateExplorer(pruned, pictures=False)
    x.next_button.click()
    assert x.current_insn == 1
    x.select_path(2)  # pushed at insn 3, pruned at once at "out"
    assert (x.path_id, x.step) == (2, 0)
    x.go(-1)
    assert x.current_insn == 3
    assert "pruned at insn 8" in x.state_html.value
    assert 'class="kfunclab-insn kfunclab-insn-onpath kfunclab-insn-current"' in \
        x.listing_html.value
    with pytest.raises(render.ExplorerError):
        x.select_path(42)


@needs_ipywidgets
def test_ref_lifetimes_path_choice_updates_the_table() -> None:
    from kfunclab.widgets import RefLifetimes

    view = RefLifetimes(verify_text(LEAK, collect_all=True), pictures=False)
    assert view.path_id == 0  # the rejected path
    assert [v for _, v in view.path_select.options] == [-1, 0, 1]
    assert "LEAKED" in view.table_html.value
    assert "null on this branch" not in view.table_html.value
    view.select_path(1)  # the NULL side: the reference never existed there
    assert "null on this branch" in view.table_html.value
    assert "null-checked" not in view.table_html.value
    view.select_path(None)
    assert view.path_select.value == -1
    assert "null on this branch" in view.table_html.value and "null-checked" in \
        view.table_html.value


@needs_ipywidgets
def test_rejected_paths_selection_moves_the_highlight(two_leaks) -> None:
    from kfunclab.widgets import RejectedPaths

    view = RejectedPaths(two_leaks, pictures=False)
    assert (view.selected, view.highlighted_insn) == (0, 6)
    before = view.message_html.value
    view.select(1)
    assert (view.selected, view.highlighted_insn) == (1, 8)
    assert view.message_html.value != before
    view.select_box.value = 0  # as the browser would
    assert view.highlighted_insn == 6
    with pytest.raises(render.ExplorerError):
        view.select(2)


@needs_ipywidgets
def test_rejected_paths_picture_changes_with_the_selection(two_leaks) -> None:
    from kfunclab.widgets import RejectedPaths
    from kfunclab.widgets.figures import viz_function

    if viz_function("draw_cfg") is None:
        pytest.skip("kfunclab.viz.draw_cfg is not available")
    view = RejectedPaths(two_leaks)
    first = view.picture.value
    view.select(1)
    assert first and view.picture.value and view.picture.value != first
    assert view.picture.value[:8] == b"\x89PNG\r\n\x1a\n"


@needs_ipywidgets
def test_playground_ret_null_flag_switches_the_verdict() -> None:
    from kfunclab.widgets import KfuncPlayground

    pg = KfuncPlayground(FROM_PID, "bpf_task_from_pid", pictures=False)
    # 6.18 registers bpf_task_from_pid with KF_ACQUIRE | KF_RET_NULL
    assert pg.flag_boxes["KF_RET_NULL"].value is True
    assert pg.verdict_text.value == NULL_MSG
    assert "kfunclab-verdict" in pg.verdict_text._dom_classes
    assert "kfunclab-flag-KF_RET_NULL" in pg.flag_boxes["KF_RET_NULL"]._dom_classes
    pg.flag_boxes["KF_RET_NULL"].value = False
    assert pg.verdict_text.value == "accept"
    assert pg.result.accepted
    pg.flag_boxes["KF_RET_NULL"].value = True
    assert pg.verdict_text.value == NULL_MSG
    assert "Possibly NULL pointer passed to trusted arg0" in pg.result_html.value


def forbid_writing_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every way of writing a file fail (and note the attempt); reading still works."""
    import builtins
    import io
    import os
    import tempfile

    tried: list[str] = []

    def guard(real):
        def opener(file, mode="r", *args, **kwargs):
            if any(c in str(mode) for c in "wax+"):
                tried.append(str(file))
                raise PermissionError(f"test forbids writing {file}")
            return real(file, mode, *args, **kwargs)
        return opener

    real_os_open = os.open

    def os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            tried.append(str(path))
            raise PermissionError(f"test forbids writing {path}")
        return real_os_open(path, flags, *args, **kwargs)

    def no_temp(*_args, **_kwargs):
        tried.append("tempfile")
        raise PermissionError("test forbids temporary files")

    monkeypatch.setattr(builtins, "open", guard(builtins.open))
    monkeypatch.setattr(io, "open", guard(io.open))
    monkeypatch.setattr(os, "open", os_open)
    for name in ("mkdtemp", "mkstemp", "NamedTemporaryFile", "TemporaryDirectory"):
        monkeypatch.setattr(tempfile, name, no_temp)
    return tried


@needs_ipywidgets
def test_playground_verifies_a_changed_catalogue_without_writing_a_file(monkeypatch) -> None:
    from kfunclab.widgets import KfuncPlayground

    verify_text(FROM_PID)  # BTF and the built-in catalogue loaded before the guard goes up
    tried = forbid_writing_files(monkeypatch)
    pg = KfuncPlayground(FROM_PID, "bpf_task_from_pid", pictures=False)
    assert pg.verdict_text.value == NULL_MSG and pg.error is None
    pg.set_flag("RET_NULL", False)  # the changed catalogue goes to verify() as a Catalog
    assert pg.error is None and pg.result is not None and pg.result.accepted
    assert pg.verdict_text.value == "accept"
    pg.set_flag("RET_NULL", True)
    assert pg.verdict_text.value == NULL_MSG
    pg.set_profile("linux-7.0")
    assert pg.verdict_text.value == NULL_MSG
    assert tried == []


@needs_ipywidgets
def test_playground_takes_the_section_apart_from_the_text() -> None:
    from kfunclab.widgets import KfuncPlayground

    body = FROM_PID.split("\n", 1)[1]  # without its # SEC line
    pg = KfuncPlayground(body, "bpf_task_from_pid", section="syscall", pictures=False)
    assert pg.verdict_text.value == NULL_MSG
    assert pg.program.source.line_of(3) == 4  # the text's own line numbers
    assert "(line 4: call bpf_task_release)" in pg.result_html.value


@needs_ipywidgets
def test_playground_annotations_and_refused_declarations() -> None:
    from kfunclab.widgets import KfuncPlayground

    pg = KfuncPlayground(FROM_PID, "bpf_task_from_pid", pictures=False)
    pg.set_flag("RET_NULL", False)
    pg.set_annotation("pid", Annotation.CONSTANT)  # r1 = 1 is a known constant: still fine
    assert pg.kfunc.prototype() == "struct task_struct *bpf_task_from_pid(s32 pid__k)"
    assert 'title="scalar that must be a known constant' in pg.prototype_html.value
    assert pg.verdict_text.value == "accept"
    pg.set_annotation(0, "__sz")  # a size with no pointer before it: the kernel refuses
    assert pg.verdict_text.value.startswith("declaration refused: bpf_task_from_pid: ")
    assert pg.result is None
    pg.set_annotation(0, Annotation.NONE)
    assert pg.verdict_text.value == "accept"


@needs_ipywidgets
def test_playground_profiles_grey_out_missing_flags() -> None:
    from kfunclab.widgets import KfuncPlayground

    pg = KfuncPlayground(FROM_PID, "bpf_task_from_pid", pictures=False)
    assert pg.flag_boxes["KF_KPTR_GET"].disabled is True
    assert "removed in 6.4" in pg.flag_boxes["KF_KPTR_GET"].tooltip
    pg.set_profile("doc")
    assert pg.flag_boxes["KF_KPTR_GET"].disabled is False
    assert pg.flag_boxes["KF_ITER_NEW"].disabled is True
    # the doc's kernel registers its release kfunc for tracing programs only
    assert pg.verdict_text.value == \
        "reject: insn 3: calling kernel function bpf_task_release is not allowed"
    pg.set_profile("linux-7.0")
    assert pg.flag_boxes["KF_TRUSTED_ARGS"].disabled is True
    assert pg.verdict_text.value == NULL_MSG


@needs_ipywidgets
def test_registry_view_follows_profile_and_program_type() -> None:
    from kfunclab.widgets import RegistryView

    view = RegistryView(profile="doc", prog_type="BPF_PROG_TYPE_TRACING")
    assert 'data-kfunc="bpf_put_pid"' in view.table_html.value
    view.select(prog_type="BPF_PROG_TYPE_XDP")
    assert 'data-kfunc="bpf_put_pid"' not in view.table_html.value
    view.select(profile="linux-6.18", prog_type="BPF_PROG_TYPE_SYSCALL")
    assert 'data-kfunc="bpf_task_from_pid"' in view.table_html.value
    view.name_filter.value = "cgroup"
    assert 'data-kfunc="bpf_task_from_pid"' not in view.table_html.value
    assert 'data-kfunc="bpf_cgroup_acquire"' in view.table_html.value
    assert "BPF_PROG_TYPE_NETFILTER" not in view.prog_type_select.options or \
        view.profile != "doc"
