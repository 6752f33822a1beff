"""HTML views of results, kfuncs, catalogues and programs (kfunclab.viz.html), from real results."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from kfunclab.errors import ParseError
from kfunclab.isa import parse_program
from kfunclab.kfuncs import KF, Kfunc, load_catalog
from kfunclab.verifier import verify_text
from kfunclab.viz.html import (
    error_html,
    kfunc_html,
    program_html,
    register_formatters,
    registry_html,
    result_html,
    unregister_formatters,
)

LEAK = """# SEC("tp_btf/task_newtask")
    r1 = *(u64 *)(r1 + 0)
    call bpf_task_acquire
    if r0 == 0 goto out
    r6 = r0                  # leak: the copy is never released
    r0 = 0
    exit
out:
    r0 = 0
    exit
"""

# the comment is hostile on purpose: it must come out as text
UNCHECKED_DEREF = """# SEC("tp_btf/task_newtask")
    r1 = *(u64 *)(r1 + 0)
    call bpf_task_acquire
    r2 = *(u32 *)(r0 + 0)    # <script>alert("x")</script> & no NULL check
    r1 = r0
    call bpf_task_release
    r0 = 0
    exit
"""

OK = """# SEC("xdp")
    r0 = 2
    exit
"""

VOID_ELEMENTS = {"br", "img", "hr", "meta", "input", "wbr"}


class _Balance(HTMLParser):
    """Checks that every element is closed in order (the fragment nests properly)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "script":
            self.scripts += 1
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def well_formed(page: str) -> None:
    parser = _Balance()
    parser.feed(page)
    parser.close()
    assert parser.stack == [], f"unclosed: {parser.stack}"
    assert parser.scripts == 0


def rows_with(page: str, cls: str) -> list[int]:
    """data-insn of every <tr> carrying class ``cls``."""
    return [int(m.group(2)) for m in re.finditer(r'<tr class="([^"]*)"[^>]*data-insn="(\d+)"',
                                                   page) if cls in m.group(1).split()]


def test_leak_result_shows_message_context_listing_and_stats() -> None:
    result = verify_text(LEAK)
    page = result_html(result)
    well_formed(page)
    assert "kfunclab-verdict-reject" in page and ">REJECT<" in page
    assert "BPF_EXIT instruction in main prog would lead to reference leak" in page
    assert "Unreleased reference id=2 alloc_insn=1" in page
    # where: instruction index, its text and its source line
    assert "insn 5: exit" in page and "(line 7: exit)" in page
    assert rows_with(page, "kfunclab-insn-failing") == [5]
    assert rows_with(page, "kfunclab-insn-onpath") == [0, 1, 2, 3, 4, 5]
    assert "out:" in page  # labels are listed
    # the kernel stops at the first rejected path: insns 0-5 processed once each
    assert ("processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 0 "
            "peak_states 0 mark_read 0") in page
    assert "errno 22 (EINVAL)" in page


def test_context_comes_before_the_message_as_in_the_kernel_log() -> None:
    page = result_html(verify_text(LEAK))
    assert page.index("Unreleased reference id=2") < page.index("would lead to reference leak")


def test_messages_and_source_are_escaped() -> None:
    result = verify_text(UNCHECKED_DEREF)
    assert result.error.message == "R0 invalid mem access 'ptr_or_null_'"
    page = result_html(result)
    well_formed(page)
    assert "R0 invalid mem access &#x27;ptr_or_null_&#x27;" in page
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; no NULL check" in page
    assert rows_with(page, "kfunclab-insn-failing") == [2]


def test_accepted_result_has_no_diagnostic_and_marks_nothing() -> None:
    page = result_html(verify_text(OK))
    well_formed(page)
    assert "kfunclab-verdict-accept" in page and "kfunclab-diagnostic" not in page
    assert rows_with(page, "kfunclab-insn-failing") == []
    assert rows_with(page, "kfunclab-insn") == [0, 1]
    assert "processed 2 insns" in page


def test_collect_all_lists_every_rejected_path() -> None:
    result = verify_text("""# SEC("tp_btf/task_newtask")
    r7 = *(u64 *)(r1 + 8)
    r1 = *(u64 *)(r1 + 0)
    call bpf_task_acquire
    if r0 == 0 goto out
    if r7 == 0 goto other
    r0 = 0
    exit                     # leak on this side
other:
    r0 = 1
    exit                     # and on this one
out:
    r0 = 0
    exit
""", collect_all=True)
    page = result_html(result)
    well_formed(page)
    assert "2 rejected paths" in page
    assert [int(m) for m in re.findall(r'kfunclab-rejected-row"[^>]*data-insn="(\d+)"',
                                       page)] == [6, 8]


def test_log_block_is_collapsible_and_opens_on_request() -> None:
    result = verify_text(LEAK)
    assert "<details class=\"kfunclab-log\">" in result_html(result)
    assert 'open=""' in result_html(result, show_log=True)


def test_kfunc_html_marks_annotations_and_flags() -> None:
    k = Kfunc.declare("void *bpf_obj_new_impl(u32 local_type_id__k, void *meta__ign)",
                      KF.ACQUIRE | KF.RET_NULL)
    page = kfunc_html(k)
    well_formed(page)
    assert '<span class="kfunclab-annotation"' in page
    assert page.count("kfunclab-annotation") == 2
    assert ">KF_ACQUIRE<" in page and ">KF_RET_NULL<" in page and "KF_RELEASE" not in page
    assert "must be a known constant" in page


def test_registry_html_filters_by_program_type() -> None:
    cat = load_catalog("doc")
    tracing = registry_html(cat, "BPF_PROG_TYPE_TRACING")
    xdp = registry_html(cat, "BPF_PROG_TYPE_XDP")
    well_formed(tracing)
    assert 'data-kfunc="bpf_get_task_pid"' in tracing
    assert 'data-kfunc="bpf_get_task_pid"' not in xdp  # registered for TRACING only
    everything = registry_html(cat)
    assert everything.count('class="kfunclab-kfunc-row"') == len(cat)
    assert registry_html(cat.registry).count('class="kfunclab-kfunc-row"') == len(cat)


def test_program_html_shows_header_and_listing() -> None:
    prog = parse_program("""# SEC("tc")
# MAP: counts array key=u32 value=u64
# CAPS: -cap_perfmon
    r1 = counts ll
    r0 = 0
    exit
""")
    page = program_html(prog)
    well_formed(page)
    assert "MAP: counts array key=u32 value=u64" in page
    assert "CAPS: -cap_perfmon" in page and "BPF_PROG_TYPE_SCHED_CLS" in page
    assert "r1 = counts ll" in page and "3 instructions" in page


def test_error_html_points_at_the_column() -> None:
    source = '# SEC("xdp")\n    r0 = x1\n    exit\n'
    with pytest.raises(ParseError) as info:
        parse_program(source, "<cell>")
    page = error_html(info.value, source)
    well_formed(page)
    assert "&lt;cell&gt;:2:" in page
    assert "   2 |     r0 = x1\n     | " + " " * (info.value.col - 1) + "^" in page


def test_formatters_register_and_unregister() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    k = Kfunc.declare("void bpf_memzero(void *mem, int mem__sz)")
    register_formatters(ip)
    try:
        data, _ = ip.display_formatter.format(k)
        assert "kfunclab-kfunc" in data["text/html"]
        data, _ = ip.display_formatter.format(load_catalog("doc"))
        assert "kfunclab-registry" in data["text/html"]
    finally:
        unregister_formatters(ip)
    data, _ = ip.display_formatter.format(k)
    assert "text/html" not in data


def test_html_views_import_neither_matplotlib_nor_ipywidgets() -> None:
    code = ("import sys, kfunclab.viz.html, kfunclab.widgets\n"
            "print('matplotlib' in sys.modules, 'ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


def test_a_result_shows_as_html_through_the_view_the_views_layer_registered() -> None:
    # the verifier holds only a hook; importing kfunclab.viz.html (done above) filled it
    result = verify_text(LEAK)
    assert result._repr_html_() == result_html(result)
    probe = ("from kfunclab.verifier import verify_text\n"
             "print(verify_text('# SEC(\"xdp\")\\n r0 = 2\\n exit\\n')._repr_html_())\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "None"  # no view imported: IPython shows the text repr
