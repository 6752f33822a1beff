"""The notebooks' exercise checks: a wrong and a right answer for each, and what they say.

Like the kernel selftests: the answer, the expected verdict, ordered message substrings.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kfunclab import exercises as ex
from kfunclab.exercises import CHECKS, EXERCISES, Feedback
from kfunclab.isa.parser import parse_program
from kfunclab.kernel import kernel_available, kernel_verdict
from kfunclab.verifier import verify_text

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

# exercise -> substrings the starter's feedback must contain, in order
STARTER_SAYS = {
    "welcome": ["still rejected: BPF_EXIT instruction in main prog would lead to reference leak",
                "taken at insn 1 (line 3: call bpf_task_from_pid)", "on the path 0-5"],
    "sz_declaration": ["refuse this declaration", "'buf' is a void * without a size"],
    "size_fixed": ["arg#0 arg#1 memory, len pair leads to invalid memory access",
                   "insn 8 (line 10: call bpf_copy_from_user_str)", "R1 = fp-16",
                   "umax=smax32=umax32=32"],
    "constant_fixed": ["R2 must be a known constant", "R2 = scalar(id=1)"],
    "leak_fixed": ["would lead to reference leak", "taken at insn 1",
                   "exits at insn 9 (line 12: exit), on the path 0-5 → 8-9"],
    "null_checked": ["Possibly NULL pointer passed to trusted arg0",
                     "insn 8 (line 12: call bpf_task_release)", "on the path 0-5 → 7-8"],
    "rcu_fixed": ["R1 must be a rcu pointer", "insn 5 (line 7: call bpf_task_acquire)",
                  "bpf_rcu_read_lock"],
    "kptr_swap": ["reference leak", "taken at insn 15 (line 17: call bpf_kptr_xchg)",
                  "on the path 0-17"],
    "sleepable_fixed": ["is sleepable within rcu_read_lock region", "move the call out"],
    "registration": ["Linux 6.18 would refuse this C", "was made with BTF_SET8_START",
                     "<your C>:17"],
    "prune_safe": ["access beyond struct list_head at off 1264 size 4",
                   "the naive pruner (precision=False) says accept, after pruning at insn 8",
                   "against checkpoint 0", "insn 11 (line 15"],
    "portable": ["not portable yet", "kfunclab linux-6.18 profile: accepted",
                 "kfunclab linux-7.0 profile: still rejected: R1 must be referenced or trusted"],
}

SOLUTION_SAYS = {
    "welcome": "the task reference is returned",
    "sz_declaration": "checks the buffer against its size",
    "size_fixed": "fits the buffer",
    "constant_fixed": "btf_id__k is a constant",
    "leak_fixed": "called on every path",
    "null_checked": "NULL-checked on every path",
    "rcu_fixed": "real_parent is an RCU pointer",
    "kptr_swap": "the old one is released",
    "sleepable_fixed": "outside the RCU section",
    "registration": "both program types may call the kfunc",
    "prune_safe": "accepted by the kernel-faithful verifier",
    "portable": "accepted under kfunclab's 6.18 and 7.0 profiles",
}


def in_order(text: str, parts: list[str]) -> None:
    at = 0
    for part in parts:
        found = text.find(part, at)
        assert found >= 0, f"{part!r} missing (in order) from:\n{text}"
        at = found + len(part)


def test_every_exercise_has_a_check_and_expectations() -> None:
    assert set(EXERCISES) == set(CHECKS) == set(STARTER_SAYS) == set(SOLUTION_SAYS)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_starter_is_wrong_and_feedback_says_why(name: str) -> None:
    fb = CHECKS[name](EXERCISES[name].starter)
    assert isinstance(fb, Feedback)
    assert not fb.passed and not fb
    in_order(str(fb), ["✘", *STARTER_SAYS[name]])


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_solution_is_right(name: str) -> None:
    fb = CHECKS[name](EXERCISES[name].solution)
    assert fb.passed, str(fb)
    assert str(fb).startswith("✔") and SOLUTION_SAYS[name] in fb.summary


def test_accepted_but_no_longer_doing_the_job() -> None:
    """Deleting the lookup also "fixes" the leak: the check must notice."""
    fb = ex.check_leak_fixed('# SEC("syscall")\n\tcall bpf_get_prandom_u32\n\tr0 = 0\n\texit\n')
    assert not fb.passed
    assert fb.summary == ("accepted, but the program no longer does the job: it must still call "
                          "bpf_task_from_pid, bpf_task_release")


def test_a_typo_is_feedback_not_a_traceback() -> None:
    fb = ex.check_leak_fixed('# SEC("syscall")\n\tr0 = 0\n\texiit\n')
    assert not fb.passed and fb.summary == "the verifier cannot read this program"
    assert "<your program>:3" in fb.details[0]


def test_rcu_fix_must_keep_reading_real_parent() -> None:
    cheat = EXERCISES["rcu_fixed"].solution.replace("(r6 + 1280)", "(r6 + 1328)")
    fb = ex.check_rcu_fixed(cheat)
    assert not fb.passed and "not given task->real_parent" in fb.summary
    assert "R1 holds task->group_leader" in fb.details[0]


def test_registration_needs_the_xdp_program_type() -> None:
    half = (EXERCISES["registration"].starter.replace("SET8_START", "KFUNCS_START")
            .replace("SET8_END", "KFUNCS_END"))
    fb = ex.check_registration(half)
    assert not fb.passed
    assert fb.details == (
        "an XDP program calling bpf_lab_counter: rejected: calling kernel function "
        "bpf_lab_counter is not allowed",
        "a tp_btf (TRACING) program calling bpf_lab_counter: accepted")


def test_declaration_whose_size_is_not_tied_to_the_buffer() -> None:
    fb = ex.check_sz_declaration("void bpf_fill(void *buf__ign, u32 len, u8 byte)")
    assert not fb.passed and "32 bytes into a 16-byte buffer is accepted" in fb.summary


def test_feedback_renders_as_text_and_html() -> None:
    fb = Feedback("demo", False, "a <b> & c", ("detail <1>",))
    assert str(fb) == "✘ [demo] a <b> & c\n  - detail <1>"
    html = fb._repr_html_()
    assert "a &lt;b&gt; &amp; c" in html and "<li>detail &lt;1&gt;</li>" in html
    assert "#b42318" in html and "#1a7f37" in Feedback("demo", True, "ok")._repr_html_()


@pytest.mark.parametrize(("path", "text"), [
    ((0, 1, 2, 5, 6), "0-2 → 5-6"),
    ((3,), "3"),
    ((0, 2, 4), "0 → 2 → 4"),
    ((), ""),
])
def test_path_text(path: tuple[int, ...], text: str) -> None:
    assert ex.path_text(path) == text


def test_path_text_runs_over_an_ld_imm64() -> None:
    prog = parse_program('# MAP: m array key=u32 value=u64\n# SEC("xdp")\n\tr1 = m ll\n'
                         '\tr0 = 2\n\texit\n')
    assert ex.path_text((0, 2, 3), prog) == "0-3"
    assert ex.path_text((0, 2, 3)) == "0 → 2-3"


def test_explain_a_use_after_release_names_the_release() -> None:
    result = verify_text('# SEC("syscall")\n\tr1 = 1\n\tcall bpf_task_from_pid\n'
                         '\tif r0 == 0 goto out\n\tr6 = r0\n\tr1 = r0\n\tcall bpf_task_release\n'
                         '\tr0 = *(u32 *)(r6 + 0)\nout:\n\tr0 = 0\n\texit\n', btf="bundled")
    lines = ex.explain(result)
    assert lines[0] == ("the verifier says at insn 6 (line 8: r0 = *(u32 *)(r6 + 0)): "
                        "R6 invalid mem access 'scalar'")
    assert lines[1].startswith("R6 held a copy of a reference that was released at insn 5 "
                               "(line 7: call bpf_task_release)")


def test_kernel_said_compares_with_the_recorded_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KFUNCLAB_LIVE_KERNEL", raising=False)
    result = verify_text(EXERCISES["leak_fixed"].starter, btf="bundled")
    same = ex.kernel_said(result, "BPF_EXIT instruction in main prog would lead to reference leak",
                          ask=False)
    assert same.same and "(kfunclab gives the recorded answer)" in str(same)
    leak = "reject: BPF_EXIT instruction in main prog would lead to reference leak"
    assert same.rows()[0] == (f"recorded on {ex.RECORDED_ON}", leak)
    other = ex.kernel_said(result, None, recorded_on=ex.FROM_SOURCE, ask=False)
    assert not other.same and other.recorded == "accept" and "DIFFERENTLY" in str(other)
    assert other.rows()[0] == ("recorded on upstream v6.18 (from source)", "accept")


@pytest.mark.kernel
@pytest.mark.skipif(not kernel_available()[0], reason=kernel_available()[1])
def test_kernel_said_asks_the_running_kernel() -> None:
    result = verify_text(EXERCISES["leak_fixed"].starter, btf="bundled")
    answer = ex.kernel_said(result, None)  # a wrong recording: the kernel's answer shows it
    assert answer.asked == "reject: BPF_EXIT instruction in main prog would lead to reference leak"
    assert answer.asked_on == os.uname().release
    assert answer.rows()[0][0] == f"asked now (kernel {os.uname().release})"
    assert not answer.agrees
    assert f"this kernel answers differently from {ex.RECORDED_ON}" in str(answer)


def test_compare_profiles_rows() -> None:
    table = ex.compare_profiles(EXERCISES["portable"].starter, ("linux-6.18", "linux-7.0"))
    assert [(r.profile, r.answer) for r in table.rows] == [
        ("linux-6.18", "accept"), ("linux-7.0", "reject: R1 must be referenced or trusted")]


def test_compare_profiles_names_the_catalogue_file_shortly() -> None:
    path = ex.catalog_file("struct task_struct *bpf_t(struct task_struct **pp);\n"
                           "BTF_KFUNCS_START(s)\nBTF_ID_FLAGS(func, bpf_t, KF_ACQUIRE | "
                           "KF_KPTR_GET | KF_RET_NULL)\nBTF_KFUNCS_END(s)\n", "kg")
    table = ex.compare_profiles('# SEC("xdp")\n\tr0 = 2\n\texit\n', ("linux-6.18",),
                                catalogs={"linux-6.18": path})
    assert table.rows[0].answer.startswith("refused before verification: kg.h:3:")


# --- the notebooks hold the starters, and what the live kernel says about them -------------------


def _notebook(stem: str) -> dict:
    path = NOTEBOOKS / f"{stem}.ipynb"
    if not path.exists():
        pytest.skip(f"{path.name} not written yet")
    return json.loads(path.read_text())


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_notebook_cell_holds_the_starter(name: str) -> None:
    exercise = EXERCISES[name]
    nb = _notebook(exercise.notebook)
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    cells = [s for s in sources if f"check_{name}(" in s]
    assert cells, f"no cell calls check_{name} in {exercise.notebook}"
    starter = exercise.starter if "\n" in exercise.starter else repr(exercise.starter)[1:-1]
    assert starter.rstrip("\n") in cells[0]
    assert cells[0].startswith("# NBVAL_CHECK_OUTPUT")


KERNEL_OK, WHY = kernel_available()
# the exercises whose programs the live 6.18 kernel can judge (no catalogue of our own)
LIVE = ("welcome", "size_fixed", "constant_fixed", "leak_fixed", "null_checked", "rcu_fixed",
        "kptr_swap", "sleepable_fixed", "prune_safe", "portable")


@pytest.mark.kernel
@pytest.mark.skipif(not KERNEL_OK, reason=WHY)
@pytest.mark.parametrize("name", LIVE)
@pytest.mark.parametrize("which", ["starter", "solution"])
def test_live_kernel_agrees(name: str, which: str, live_profile: object) -> None:
    """The running kernel, asked now, and kfunclab under its probed ``live`` profile."""
    text = getattr(EXERCISES[name], which)
    kv = kernel_verdict(parse_program(text))
    ours = verify_text(text, btf="live", profile=live_profile)
    assert (kv.verdict, kv.error) == (ours.verdict.value,
                                      ours.error.message if ours.error else None)
