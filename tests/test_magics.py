"""The %%bpf and %%kfuncs cell magics, in a real IPython shell."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from kfunclab import magics
from kfunclab.kfuncs import Catalog
from kfunclab.verifier import Verdict

LEAK_BODY = """    r1 = *(u64 *)(r1 + 0)
    call bpf_task_acquire
    if r0 == 0 goto out
    r6 = r0                  # leak
out:
    r0 = 0
    exit
"""

FROM_PID_BODY = """    r1 = 1
    call bpf_task_from_pid
    r1 = r0                  # used without a NULL check
    call bpf_task_release
    r0 = 0
    exit
"""

# the doc's own set (2.4) plus its registration (2.5); the release kfunc borrowed from 6.18
MY_KFUNCS = """
struct task_struct *bpf_task_from_pid(s32 pid) { ... }
BTF_KFUNCS_START(my_ids)
BTF_ID_FLAGS(func, bpf_task_from_pid, KF_ACQUIRE)
BTF_ID_FLAGS(func, bpf_task_release, KF_RELEASE)
BTF_KFUNCS_END(my_ids)
static const struct btf_kfunc_id_set my_set = { .owner = THIS_MODULE, .set = &my_ids };
register_btf_kfunc_id_set(BPF_PROG_TYPE_SYSCALL, &my_set);
"""


@pytest.fixture()
def ip():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "kfunclab")
    yield shell
    shell.run_line_magic("unload_ext", "kfunclab")


def run(ip, magic: str, line: str, body: str) -> list[dict]:
    with capture_output() as cap:
        ip.run_cell_magic(magic, line, body)
    assert cap.stderr == ""
    return [o.data for o in cap.outputs]


def test_bpf_leak_is_stored_as_a_reject_result(ip) -> None:
    out = run(ip, "bpf", "tp_btf/task_newtask --name leaky", LEAK_BODY)
    result = ip.user_ns["_bpf"]
    assert result.verdict is Verdict.REJECT
    assert result.error.message == "BPF_EXIT instruction in main prog would lead to reference leak"
    assert ip.user_ns["leaky"] is result
    html = out[0]["text/html"]
    assert "kfunclab-verdict-reject" in html and "Unreleased reference id=2 alloc_insn=1" in html
    assert out[0]["text/plain"].startswith("<VerificationResult reject: insn 5: BPF_EXIT")
    # line numbers are the cell's: the magic line is 1, so "exit" (slot 5) is line 8
    assert result.program.source.line_of(5) == 8


def test_bpf_shows_the_reference_lifetimes_picture(ip) -> None:
    from kfunclab.widgets.figures import viz_function

    if viz_function("draw_ref_lifetimes") is None:
        pytest.skip("kfunclab.viz.draw_ref_lifetimes is not available")
    out = run(ip, "bpf", "tp_btf/task_newtask", LEAK_BODY)
    assert out[1]["image/png"]  # base64 PNG after the HTML
    out = run(ip, "bpf", "xdp", "    r0 = 2\n    exit\n")
    assert len(out) == 1  # no references, no picture


def test_bpf_header_lines_in_the_body_still_work(ip) -> None:
    run(ip, "bpf", "", '# SEC("syscall")\n# LICENSE("Dual BSD/GPL")\n' + FROM_PID_BODY)
    result = ip.user_ns["_bpf"]
    assert result.program.section == "syscall"
    assert result.program.license == "Dual BSD/GPL"
    assert str(result.error) == "insn 3: Possibly NULL pointer passed to trusted arg0"


def test_bpf_parse_error_is_a_message_with_the_line(ip) -> None:
    ip.user_ns["_bpf"] = "stale"
    out = run(ip, "bpf", "syscall", "    r0 = 0\n    r1 = x1\n    exit\n")
    assert ip.user_ns["_bpf"] is None
    text = out[0]["text/plain"]
    assert text.startswith("ParseError: <cell>:3:")  # cell line 3 (the magic is line 1)
    assert "   3 |     r1 = x1" in out[0]["text/html"]


def test_bpf_without_a_section_says_where_to_put_it(ip) -> None:
    out = run(ip, "bpf", "", "    r0 = 0\n    exit\n")
    assert "hint: write the section on the magic line" in out[0]["text/plain"]


def test_bpf_unknown_call_is_a_message_not_a_traceback(ip) -> None:
    out = run(ip, "bpf", "syscall", "    call bpf_no_such_kfunc\n    r0 = 0\n    exit\n")
    assert out[0]["text/plain"].startswith("UnknownKfuncError: <cell>:2:10: error: unknown "
                                           "function 'bpf_no_such_kfunc'")


def test_bpf_bad_options_are_usage_errors(ip) -> None:
    with pytest.raises(UsageError):
        ip.run_cell_magic("bpf", "syscall --no-such-option", FROM_PID_BODY)
    with pytest.raises(UsageError, match="identifier"):
        ip.run_cell_magic("bpf", "syscall --name 1abc", FROM_PID_BODY)


def test_bpf_all_errors_and_log(ip) -> None:
    body = """    r7 = *(u64 *)(r1 + 8)
    r1 = *(u64 *)(r1 + 0)
    call bpf_task_acquire
    if r0 == 0 goto out
    if r7 == 0 goto other
    r0 = 0
    exit
other:
    r0 = 1
    exit
out:
    r0 = 0
    exit
"""
    out = run(ip, "bpf", "tp_btf/task_newtask --all-errors --log", body)
    result = ip.user_ns["_bpf"]
    assert [d.insn for d in result.rejected] == [6, 8]
    assert result.log_level == 2
    assert "2 rejected paths" in out[0]["text/html"]
    assert '<details class="kfunclab-log" open="">' in out[0]["text/html"]


def test_bpf_profile_option(ip) -> None:
    run(ip, "bpf", "syscall --profile doc", FROM_PID_BODY)
    assert ip.user_ns["_bpf"].profile == "doc"
    out = run(ip, "bpf", "syscall --profile linux-9.9", FROM_PID_BODY)
    assert "unknown kernel profile 'linux-9.9'" in out[0]["text/plain"]
    out = run(ip, "bpf", "syscall --catalog not_defined_yet", FROM_PID_BODY)
    assert "hint: define it first with %%kfuncs --name not_defined_yet" in out[0]["text/plain"]


def test_kfuncs_catalogue_is_used_by_later_bpf_cells(ip) -> None:
    out = run(ip, "kfuncs", "--name mine", MY_KFUNCS)
    cat = ip.user_ns["mine"]
    assert isinstance(cat, Catalog) and sorted(cat.rows) == ["bpf_task_from_pid",
                                                             "bpf_task_release"]
    assert 'data-kfunc="bpf_task_from_pid"' in out[0]["text/html"]
    # without KF_RET_NULL in this catalogue the unchecked use is fine
    run(ip, "bpf", "syscall --catalog mine", FROM_PID_BODY)
    assert ip.user_ns["_bpf"].accepted
    # the kernel's own table says KF_RET_NULL
    run(ip, "bpf", "syscall", FROM_PID_BODY)
    assert not ip.user_ns["_bpf"].accepted


def test_kfuncs_catalogue_variable_can_be_renamed(ip) -> None:
    run(ip, "kfuncs", "--name mine2", MY_KFUNCS)
    ip.user_ns["other_name"] = ip.user_ns["mine2"]
    run(ip, "bpf", "syscall --catalog other_name", FROM_PID_BODY)
    assert ip.user_ns["_bpf"].accepted


def test_kfuncs_catalogues_reach_verify_as_objects_not_files(ip, monkeypatch) -> None:
    from test_widgets import forbid_writing_files  # tests/ is on sys.path

    run(ip, "bpf", "syscall", FROM_PID_BODY)  # BTF and the built-in catalogue loaded first
    tried = forbid_writing_files(monkeypatch)
    run(ip, "kfuncs", "--name mine3", MY_KFUNCS)
    run(ip, "bpf", "syscall --catalog mine3", FROM_PID_BODY)
    assert ip.user_ns["_bpf"].accepted
    catalog, profile = magics.resolve_catalog("mine3", ip.user_ns)
    assert catalog is ip.user_ns["mine3"] and profile.name == "linux-6.18"
    # a Catalog held in a variable, and a user catalogue read under another profile
    ip.user_ns["held"] = ip.user_ns["mine3"]
    run(ip, "bpf", "syscall --catalog held", FROM_PID_BODY)
    assert ip.user_ns["_bpf"].accepted
    from kfunclab.kfuncs import load_catalog

    ip.user_ns["builtin"] = load_catalog("linux-6.18")  # KF_RET_NULL: the unchecked use fails
    run(ip, "bpf", "syscall --catalog builtin", FROM_PID_BODY)
    assert ip.user_ns["_bpf"].verdict is Verdict.REJECT
    other, profile = magics.resolve_catalog("mine3", ip.user_ns, "linux-7.0")
    assert isinstance(other, Catalog) and other.profile is profile and profile.name == "linux-7.0"
    assert tried == []


def test_kfuncs_errors_are_messages(ip) -> None:
    out = run(ip, "kfuncs", "--name broken", "struct pid *f(struct task_struct *t) {\n")
    assert out[0]["text/plain"].startswith("ParseError: <kfuncs cell>:2:")
    assert "broken" not in magics.USER_CATALOGS
    doc_style = MY_KFUNCS.replace("BTF_KFUNCS_START", "BTF_SET8_START").replace(
        "BTF_KFUNCS_END", "BTF_SET8_END")
    out = run(ip, "kfuncs", "--name old", doc_style)  # 6.18 wants BTF_KFUNCS_START
    assert out[0]["text/plain"].startswith("DeclarationError: my_ids")
    assert "hint: the doc's kernel (about 6.2) took BTF_SET8_START" in out[0]["text/plain"]
    run(ip, "kfuncs", "--name old --profile doc", doc_style.replace("BPF_PROG_TYPE_SYSCALL",
                                                                   "BPF_PROG_TYPE_TRACING"))
    assert ip.user_ns["old"].profile.name == "doc"


def test_kfuncs_without_registration_warns(ip) -> None:
    out = run(ip, "kfuncs", "--name unregistered", MY_KFUNCS.split("static const")[0])
    assert len(ip.user_ns["unregistered"]) == 0
    assert out[1]["text/plain"].startswith("no kfunc is registered")


def test_extension_formatters_and_unload(ip) -> None:
    from kfunclab.kfuncs import Kfunc

    k = Kfunc.declare("void bpf_memzero(void *mem, int mem__sz)")
    data, _ = ip.display_formatter.format(k)
    assert "kfunclab-kfunc" in data["text/html"]
    assert data["text/plain"] == "<Kfunc void bpf_memzero(void *mem, int mem__sz)  [0]>"
    ip.run_line_magic("unload_ext", "kfunclab")
    try:
        assert "bpf" not in ip.magics_manager.magics["cell"]
        data, _ = ip.display_formatter.format(k)
        assert "text/html" not in data
    finally:
        ip.run_line_magic("load_ext", "kfunclab")
