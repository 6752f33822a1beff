"""The C cells of the notebooks say what kfunclab answers (their outputs are not checked by
nbval, since they differ where clang is missing): each ``%%bpf_c`` cell is compiled here the way
the magic compiles it and the verdict, message and C lines the notebook's text names are
asserted. Skips where clang or libbpf-dev is missing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_cc import needs_clang

from kfunclab import cc
from kfunclab.isa.printer import format_program
from kfunclab.magics import C_CELL_NAME
from kfunclab.verifier import verify_text
from kfunclab.viz.html import result_html

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

pytestmark = [needs_clang]


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KFUNCLAB_CACHE", str(tmp_path_factory.getbasetemp() / "kfunclab-cache"))
        yield


def cells(name: str) -> list[tuple[str, str]]:
    nb = json.loads((NOTEBOOKS / name).read_text())
    return [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]]


def c_cell(name: str, var: str) -> tuple[str, str]:
    """The ``%%bpf_c ... -n var`` cell of a notebook: (magic line, the C as the magic compiles
    it: line 1 is the magic line) and the markdown cell right after it."""
    found = cells(name)
    for k, (kind, text) in enumerate(found):
        first, _, body = text.partition("\n")
        if kind == "code" and first.startswith("%%bpf_c") and f"-n {var}" in first:
            return "\n" + body, found[k + 1][1]
    raise AssertionError(f"{name}: no %%bpf_c cell named {var}")


def verify_c(source: str):
    from kfunclab.elf import verify_object

    obj = cc.compile_text(source, C_CELL_NAME, btf="bundled")
    (item,) = verify_object(obj.path, btf="bundled")
    return item.result


def test_welcome_starts_with_a_leak_in_c_and_its_c_lines() -> None:
    source, text = c_cell("01-welcome.ipynb", "first_c")
    result = verify_c(source)
    assert result.verdict.value == "reject"
    message = "BPF_EXIT instruction in main prog would lead to reference leak"
    assert result.error.message == message and message in text
    # the C line the notebook quotes is in the log, and in the listing above its instruction
    quoted = re.search(r"`(; if \(!task\) @ cell\.bpf\.c:(\d+))`", text)
    assert quoted is not None and quoted.group(1) in result.log_lines
    line = int(quoted.group(2))
    assert source.splitlines()[line - 1].strip() == "if (!task)"
    branch = next(s for s, (_f, n, _t) in sorted(result.program.c_lines.items()) if n == line)
    html = result_html(result)
    row = re.search(r'<tr class="kfunclab-c-line"[^>]*>(?:(?!</tr>).)*</tr>\s*<tr[^>]*'
                    rf'data-insn="{branch}"', html, re.S)
    assert row is not None and "; if (!task) @ cell.bpf.c:" in row.group(0)
    # the failing exit is on the path where the task was found: the reference is held there
    assert result.error.insn == len(result.program.insns) - 1


def test_welcome_c_as_assembly_verifies_the_same() -> None:
    source, _ = c_cell("01-welcome.ipynb", "first_c")
    result = verify_c(source)
    again = verify_text(format_program(result.program), btf="bundled")
    assert again.verdict.value == "reject" and again.error.message == result.error.message


def test_welcome_c_with_the_release_is_accepted() -> None:
    source, _ = c_cell("01-welcome.ipynb", "first_c")
    fixed = source.replace("\treturn 1;", "\tbpf_task_release(task);\n\treturn 1;")
    assert fixed != source
    assert verify_c(fixed).verdict.value == "accept"


def test_acquire_release_leak_in_c_names_each_early_return() -> None:
    from kfunclab.elf import verify_object
    from kfunclab.viz.text import c_line_of

    source, text = c_cell("04-acquire-release.ipynb", "leaky_c")
    obj = cc.compile_text(source, C_CELL_NAME, btf="bundled")
    (item,) = verify_object(obj.path, btf="bundled", collect_all=True)
    result = item.result
    assert len(result.rejected) == 2
    lines = source.splitlines()
    quoted = {m.group(1): int(m.group(2))
              for m in re.finditer(r"`; if \(r > (\d+)\) @ cell\.bpf\.c:(\d+)`", text)}
    closing = int(re.search(r"`; \} @ cell\.bpf\.c:(\d+)`", text).group(1))
    assert lines[closing - 1] == "}" and set(quoted) == {"1000", "10"}
    left_by = set()
    for diag in result.rejected:
        assert diag.message == "BPF_EXIT instruction in main prog would lead to reference leak"
        assert c_line_of(result.program, diag.insn)[1] == closing
        on_path = [c_line_of(result.program, s)[1] for s in diag.path]
        before_exit = [n for n in on_path if n != closing][-1]
        left_by.add(before_exit)
    # one path leaves by each early return, at the C lines the notebook names
    assert left_by == set(quoted.values())
    assert {lines[n - 1].strip() for n in left_by} == {"if (r > 1000)", "if (r > 10)"}


def quoted_lines(source: str, text: str) -> dict[int, str]:
    """The C lines the text quotes (`` `; code @ cell.bpf.c:N` ``), by number; each is checked
    to be line N of the cell as the magic compiles it."""
    lines = source.splitlines()
    quoted = {int(n): code for code, n in re.findall(r"`; (.+?) @ cell\.bpf\.c:(\d+)`", text)}
    assert quoted, "the text quotes no C line"
    for n, code in quoted.items():
        assert lines[n - 1].strip() == code.strip(), (n, code)
    return quoted


def error_line(result) -> int:
    from kfunclab.viz.text import c_line_of

    return c_line_of(result.program, result.error.insn)[1]


def asm_cell(name: str, var: str) -> str:
    """The program of the ``%%bpf ... -n var`` cell (its magic line left out)."""
    for kind, text in cells(name):
        first, _, body = text.partition("\n")
        if kind == "code" and first.startswith("%%bpf ") and f" -n {var} " in f"{first} ":
            return body
    raise AssertionError(f"{name}: no %%bpf cell named {var}")


def insns(text: str) -> list[str]:
    """The instruction lines of an assembly cell (no labels, comments or blank lines)."""
    out = []
    for line in text.splitlines():
        code = line.split("#")[0].strip()
        if code and not code.endswith(":"):
            out.append(code)
    return out


def test_defining_kfuncs_c_releases_without_the_null_check() -> None:
    source, text = c_cell("02-defining-kfuncs.ipynb", "vpid_unchecked_c")
    result = verify_c(source)
    message = "Possibly NULL pointer passed to trusted arg0"
    assert result.verdict.value == "reject"
    assert result.error.message == message and f"`{message}`" in text
    quoted = quoted_lines(source, text)
    assert list(quoted) == [error_line(result)]
    assert any(f"@ cell.bpf.c:{error_line(result)}" in line for line in result.log_lines)
    # "the same six instructions as vpid_unchecked"
    assert len(result.program.insns) == len(insns(asm_cell("02-defining-kfuncs.ipynb",
                                                           "vpid_unchecked"))) == 6


def test_sz_in_c_is_unbounded_not_negative() -> None:
    source, text = c_cell("03-sz-and-k.ipynb", "unbounded_c")
    result = verify_c(source)
    message = "arg#0 arg#1 memory, len pair leads to invalid memory access"
    assert result.verdict.value == "reject"
    assert result.error.message == message and f"`{message}`" in text
    assert list(quoted_lines(source, text)) == [error_line(result)]
    # the line before the message: too large, not negative (the 32-bit move clears the top)
    (before,) = result.error.context
    assert before.startswith("R2 unbounded memory access") and f"`{before}`" in text
    assert "w2 = w0" in format_program(result.program) and "`w2 = w0`" in text
    asm = verify_text("# SEC(\"syscall\")\n" + asm_cell("03-sz-and-k.ipynb", "unbounded"),
                      btf="bundled")
    assert asm.error.message == message and "min value is negative" in asm.error.context[0]


def test_ret_null_skipped_check_in_c() -> None:
    source, text = c_cell("05-ret-null.ipynb", "skipped_c")
    result = verify_c(source)
    message = "R6 invalid mem access 'ptr_or_null_'"
    assert result.verdict.value == "reject"
    assert result.error.message == message and f"`{message}`" in text
    assert list(quoted_lines(source, text)) == [error_line(result)]
    asm = verify_text("# SEC(\"syscall\")\n" + asm_cell("05-ret-null.ipynb", "skipped"),
                      btf="bundled")
    assert asm.error.message == message
    # "the read is instruction 7 here and 6 in the assembly above"
    assert (result.error.insn, asm.error.insn) == (7, 6)
    assert "w7 = 0" in format_program(result.program)


def test_trusted_args_rcu_pointer_in_c() -> None:
    name = "06-trusted-args-and-rcu.ipynb"
    source, text = c_cell(name, "parent_signal_c")
    result = verify_c(source)
    message = "R1 must be referenced or trusted"
    assert result.verdict.value == "reject"
    assert result.error.message == message and f"`{message}`" in text
    quoted = quoted_lines(source, text)
    assert max(quoted) == error_line(result) and "real_parent" in quoted[min(quoted)]
    log = result.log_lines
    load = next(k for k, line in enumerate(log) if f"@ cell.bpf.c:{min(quoted)}" in line)
    assert "R1=rcu_ptr_task_struct()" in log[load + 1] and "`rcu_ptr_task_struct()`" in text
    asm = verify_text("# SEC(\"tp_btf/task_newtask\")\n" + asm_cell(name, "parent_signal"),
                      btf="bundled")
    assert asm.error.message == message and asm.error.insn == result.error.insn == 5


def test_kptr_hand_over_in_c() -> None:
    name = "07-kptrs.ipynb"
    source, text = c_cell(name, "swap_copy_c")
    result = verify_c(source)
    assert result.verdict.value == "reject"
    assert result.error.message == "R7 invalid mem access 'scalar'"
    assert f"`{result.error.message}`" in text
    quoted = quoted_lines(source, text)
    assert max(quoted) == error_line(result) and "bpf_kptr_xchg" in quoted[min(quoted)]
    asm = verify_text("# SEC(\"tp_btf/task_newtask\")\n" + asm_cell(name, "swap_copy"),
                      btf="bundled")
    assert asm.error.message == "R8 invalid mem access 'scalar'"


def test_sleepable_in_non_preemptible_region_in_c() -> None:
    name = "08-sleepable-and-destructive.ipynb"
    source, text = c_cell(name, "no_preempt_c")
    result = verify_c(source)
    message = "kernel func bpf_copy_from_user_str is sleepable within non-preemptible region"
    assert result.verdict.value == "reject"
    assert result.error.message == message and f"`{message}`" in text
    assert list(quoted_lines(source, text)) == [error_line(result)]
    asm = verify_text("# SEC(\"syscall\")\n" + asm_cell(name, "no_preempt"), btf="bundled")
    assert asm.error.message == message and asm.error.insn == result.error.insn == 6


def test_registration_one_c_file_two_hooks() -> None:
    from kfunclab.elf import verify_object

    source, text = c_cell("09-registration.ipynb", "kprobe_caller_c")
    obj = cc.compile_text(source, C_CELL_NAME, btf="bundled")
    results = {item.program: item.result for item in verify_object(obj.path, btf="bundled")}
    assert list(results) == ["kprobe_caller_c", "tc_caller_c"]  # -n keeps the first
    kprobe, tc = results["kprobe_caller_c"], results["tc_caller_c"]
    message = "calling kernel function bpf_task_from_pid is not allowed"
    assert kprobe.verdict.value == "reject" and tc.verdict.value == "accept"
    assert kprobe.error.message == message and f"`{message}`" in text
    assert list(quoted_lines(source, text)) == [error_line(kprobe)]
    assert format_program(kprobe.program).split("\n", 1)[1] == \
        format_program(tc.program).split("\n", 1)[1]  # same instructions, other section


def test_precision_in_c_walks_the_bad_path_first() -> None:
    from kfunclab.verifier import verify

    source, text = c_cell("10-pruning-and-precision.ipynb", "precise_c")
    result = verify_c(source)
    message = "access beyond struct list_head at off 1264 size 4"
    assert result.verdict.value == "reject"
    assert result.error.message == message and f"`{message}`" in text
    assert list(quoted_lines(source, text)) == [error_line(result)]
    # the first path walked is the bad one: refused before anything could be pruned
    assert result.paths[0].end.value == "rejected" and result.paths[0].start_insn == 0
    naive = verify(result.program, btf="bundled", precision=False)
    assert naive.verdict.value == "reject" and naive.error.message == message
    assert not naive.prune_events


def test_rcu_protected_iterator_in_c() -> None:
    name = "11-kernels-differ.ipynb"
    source, text = c_cell(name, "iter_no_rcu_c")
    result = verify_c(source)
    message = "kernel func bpf_iter_task_new requires RCU critical section protection"
    assert result.verdict.value == "reject"
    assert result.error.message == message and f"`{message}`" in text
    assert list(quoted_lines(source, text)) == [error_line(result)]
    asm = verify_text("# SEC(\"syscall\")\n" + asm_cell(name, "iter_no_rcu"), btf="bundled")
    assert asm.error.message == message and (result.error.insn, asm.error.insn) == (5, 4)
    # with the section around it (as iter_rcu), the C is accepted
    fixed = source.replace("\tbpf_iter_task_new(", "\tbpf_rcu_read_lock();\n\tbpf_iter_task_new(")
    fixed = fixed.replace("\treturn 0;", "\tbpf_rcu_read_unlock();\n\treturn 0;")
    assert fixed.count("bpf_rcu_read") == 2 and verify_c(fixed).verdict.value == "accept"


def test_reading_the_log_of_a_c_program() -> None:
    from kfunclab.elf import verify_object
    from kfunclab.logs import read_log

    source, text = c_cell("12-reading-a-real-log.ipynb", "leak_c")
    obj = cc.compile_text(source, C_CELL_NAME, btf="bundled")
    (item,) = verify_object(obj.path, btf="bundled", log_level=2)
    log = read_log(item.result.log, section="syscall")
    message = "BPF_EXIT instruction in main prog would lead to reference leak"
    assert log.verdict.value == "reject" and log.error.message == message
    assert f"`{message}`" in text and not log.unparsed
    quoted = quoted_lines(source, text)
    # the failing exit is under the closing brace, and the C line is kept by read_log
    assert log.sources[log.error.insn - 1][2] == max(quoted) and quoted[max(quoted)] == "}"
    (leaked,) = [life for life in log.references if life.events[-1].kind.value == "leaked"]
    assert leaked.acquired_by == "bpf_cgroup_ancestor"
    # B stays in a register: no spill or fill, unlike the assembly that parks it
    kinds = {e.kind.value for life in log.references for e in life.events}
    assert not kinds & {"spilled", "filled"}
    release = min(n for n, code in quoted.items() if "bpf_cgroup_release(parent)" in code)
    assert all(log.sources.get(s, ("", "", 0))[2] != release for s in log.error.path)


#: every C cell of notebooks 02-12 (07's is missing: kernel_verdict cannot yet load a program
#: read from an object whose map value carries a kptr, "local struct ids must be 1..N")
C_CELLS = [("02-defining-kfuncs.ipynb", "vpid_unchecked_c"), ("03-sz-and-k.ipynb", "unbounded_c"),
           ("05-ret-null.ipynb", "skipped_c"), ("06-trusted-args-and-rcu.ipynb", "parent_signal_c"),
           ("08-sleepable-and-destructive.ipynb", "no_preempt_c"),
           ("09-registration.ipynb", "kprobe_caller_c"),
           ("10-pruning-and-precision.ipynb", "precise_c"),
           ("11-kernels-differ.ipynb", "iter_no_rcu_c"), ("12-reading-a-real-log.ipynb", "leak_c")]


@pytest.mark.parametrize(("name", "var"), C_CELLS)
def test_the_running_kernel_agrees_on_the_c_cells(name: str, var: str) -> None:
    from kfunclab.elf import verify_object
    from kfunclab.kernel import kernel_available, kernel_verdict

    ok, why = kernel_available()
    if not ok:
        pytest.skip(why)
    source, _ = c_cell(name, var)
    obj = cc.compile_text(source, C_CELL_NAME, btf="live")
    for item in verify_object(obj.path, btf="live"):
        ours = item.result
        kernel = kernel_verdict(ours.program, log_level=1)
        assert kernel.verdict == ours.verdict.value, item.program
        assert kernel.error == (ours.error.message if ours.error else None), item.program
