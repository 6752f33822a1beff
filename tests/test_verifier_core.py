"""The verifier's own machinery: the kernel-format log, subprogram calls, profiles, results.

Expected log texts were captured from the live 6.18 kernel (``kfunclab.kernel.kernel_verdict``
with log_level 1 and 2) on the same program files; the ``live`` tests re-ask the kernel.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kfunclab.isa.parser import parse_file, parse_program
from kfunclab.verifier import PathEnd, RefEventKind, verify, verify_text

PROGRAMS = Path(__file__).parent / "programs"

LEAK_BRANCH_LOG1 = """\
0: R1=ctx() R10=fp0
0: (b7) r1 = 1                        ; R1=1
1: (85) call bpf_cgroup_from_id#63553         ; R0=ptr_or_null_cgroup(id=2,ref_obj_id=2) refs=2
2: (15) if r0 == 0x0 goto pc+6        ; R0=ptr_cgroup(ref_obj_id=2) refs=2
3: (bf) r6 = r0                       ; R0=ptr_cgroup(ref_obj_id=2) R6=ptr_cgroup(ref_obj_id=2) refs=2
4: (85) call bpf_get_prandom_u32#7    ; R0=scalar() refs=2
5: (57) r0 &= 1                       ; R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=1,var_off=(0x0; 0x1)) refs=2
6: (55) if r0 != 0x0 goto pc+2 9: R0=1 R6=ptr_cgroup(ref_obj_id=2) R10=fp0 refs=2
9: (b7) r0 = 0                        ; R0=0 refs=2
10: (95) exit
Unreleased reference id=2 alloc_insn=1
BPF_EXIT instruction in main prog would lead to reference leak
processed 13 insns (limit 1000000) max_states_per_insn 1 total_states 1 peak_states 1 mark_read 0"""


@pytest.fixture(scope="module")
def leak_branch():
    return parse_file(str(PROGRAMS / "leak_branch.s"))


def test_level1_log_is_the_kernels_text(leak_branch):
    """Level 1 keeps only the failing path: the pop rewinds the buffer, leaving the kernel's
    ``if r0 != 0x0 goto pc+2 9: R0=1 ...`` join. The kfunc id in ``call bpf_cgroup_from_id#N``
    is the BTF's: the bundled snapshot's here, so the text is the same on every machine."""
    result = verify(leak_branch, log_level=1, btf="bundled")
    assert result.log == LEAK_BRANCH_LOG1


@pytest.mark.kernel
def test_level1_log_is_the_running_kernels_text(leak_branch, live_profile):
    """The same program asked of the running kernel now: its level-1 log, byte for byte."""
    from kfunclab.kernel import kernel_verdict

    kernel = kernel_verdict(leak_branch, log_level=1)
    ours = verify(leak_branch, log_level=1, btf="live", profile=live_profile)
    assert ours.log.strip() == kernel.log.strip()


def test_level1_log_of_an_accepted_program_is_the_summary_only():
    result = verify_text('# SEC("xdp")\n r0 = 2\n exit\n', log_level=1)
    assert result.log_lines == (
        "processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 "
        "peak_states 0 mark_read 0",)


def test_level2_log_shows_every_path_and_the_live_register_table(leak_branch):
    log = verify(leak_branch, log_level=2).log
    assert log.startswith("func#0 @0\nLive regs before insn:\n")
    assert "      6: 0.....6... (55) if r0 != 0x0 goto pc+2" in log
    assert "\nfrom 6 to 9: R0=1 R6=ptr_cgroup(ref_obj_id=2) R10=fp0 refs=2\n" in log
    assert "7: (bf) r1 = r6" in log  # the path that releases is kept at level 2


@pytest.mark.kernel
def test_logs_agree_with_the_live_kernel(leak_branch):
    from kfunclab.kernel import kernel_available, kernel_verdict

    ok, why = kernel_available()
    if not ok:
        pytest.skip(why)
    for level in (1, 2):
        assert verify(leak_branch, log_level=level).log.strip() == \
            kernel_verdict(leak_branch, log_level=level).log.strip()


def test_result_records_the_leaking_path_and_the_reference_lifetime(leak_branch):
    result = verify(leak_branch)
    assert result.verdict.value == "reject"
    assert result.error.insn == 10
    assert result.error.context == ("Unreleased reference id=2 alloc_insn=1",)
    assert result.error.path == (0, 1, 2, 3, 4, 5, 6, 9, 10)
    (ref,) = result.references
    kinds = [e.kind for e in ref.events]
    assert kinds[0] is RefEventKind.ACQUIRED and ref.acquired_by == "bpf_cgroup_from_id"
    assert RefEventKind.COPIED in kinds and RefEventKind.LEAKED in kinds
    leaked = next(e for e in ref.events if e.kind is RefEventKind.LEAKED)
    assert leaked.path_id == result.error.path_id
    ends = {p.end for p in result.paths}
    assert PathEnd.EXIT in ends and PathEnd.REJECTED in ends


def test_collect_all_finds_each_rejected_path():
    text = """# SEC("syscall")
    r1 = 1
    call bpf_cgroup_from_id
    r6 = r0
    call bpf_get_prandom_u32
    if r0 == 7 goto bad_deref
    r0 = 0
    exit                        # leak (and r6 may be NULL)
bad_deref:
    r0 = *(u64 *)(r6 + 0)       # possibly NULL pointer
    r0 = 0
    exit
"""
    first = verify_text(text)
    every = verify_text(text, collect_all=True)
    assert first.error.message == every.error.message
    messages = {d.message for d in every.rejected}
    assert "R6 invalid mem access 'ptr_or_null_'" in messages
    assert "BPF_EXIT instruction in main prog would lead to reference leak" in messages
    assert len(every.rejected_paths()) == 2


def test_subprogram_call_returns_r0_and_counts_like_the_kernel():
    result = verify(parse_file(str(PROGRAMS / "subprog_add_one.s")))
    assert result.accepted
    # the kernel: processed 8 insns, total_states 1, peak_states 1
    assert (result.stats.processed_insns, result.stats.total_states) == (8, 1)
    callee_step = next(s for p in result.paths for s in p.steps if s.insn == 6)
    assert callee_step.state.depth == 2 and callee_step.state.reg_text(0) == "6"


def test_subprogram_exit_without_r0_is_rejected_where_the_caller_reads_it():
    """prepare_func_exit() hands an unset R0 back; the main program's exit reads it (the
    live 6.18 kernel: "R0 !read_ok" after "from 2 to 1")."""
    result = verify_text('# SEC("socket")\n call f\n exit\nf:\n exit\n')
    assert (result.error.insn, result.error.message) == (1, "R0 !read_ok")


def test_subprogram_exit_without_r0_is_fine_when_the_caller_sets_it():
    result = verify_text('# SEC("socket")\n call f\n r0 = 0\n exit\nf:\n r1 = 1\n exit\n')
    assert result.accepted  # live 6.18: accept


def test_doc_profile_kptr_get_accepts_a_map_kptr_slot():
    program = parse_file(str(PROGRAMS / "doc_kptr_get.s"))
    result = verify(program, profile="doc", catalog=str(PROGRAMS / "doc_kptr_get.h"))
    assert result.accepted, result.error


def test_doc_profile_kptr_is_unreferenced_so_kptr_get_refuses_it():
    """Before 6.4 ``__kptr`` was the unreferenced kptr (``__kptr_ref`` the referenced one)."""
    text = (PROGRAMS / "doc_kptr_get.s").read_text().replace("__kptr_ref *", "__kptr *")
    result = verify(parse_program(text), profile="doc",
                    catalog=str(PROGRAMS / "doc_kptr_get.h"))
    assert result.error.message == "arg#0 no referenced kptr at map value offset=0"


def test_kptr_tag_the_kernel_does_not_know_is_unsupported_not_guessed():
    text = """# SEC("tp_btf/task_newtask")
# MAP: tasks array key=u32 value="struct slot { struct task_struct __kptr_ref *task; }"
\tr1 = 0
\t*(u32 *)(r10 - 4) = r1
\tr2 = r10
\tr2 += -4
\tr1 = tasks ll
\tcall bpf_map_lookup_elem
\tif r0 == 0 goto out
\tr1 = *(u64 *)(r0 + 0)
out:
\tr0 = 0
\texit
"""
    result = verify_text(text, btf="bundled")
    assert result.verdict.value == "unsupported"
    assert "'__kptr_ref' is not a kptr tag in linux-6.18" in str(result.error)
    assert verify_text(text, btf="bundled", profile="doc").accepted


def test_doc_profile_kptr_get_wants_a_map_value():
    text = """# SEC("tp_btf/task_newtask")
    r1 = r10
    r1 += -8
    call bpf_task_kptr_get     # not a map value: the 6.2 verifier refuses
    r0 = 0
    exit
"""
    result = verify_text(text, profile="doc", catalog=str(PROGRAMS / "doc_kptr_get.h"))
    assert result.error.message == "arg#0 expected pointer to map value"


def test_linux_7_0_makes_every_pointer_argument_trusted(tmp_path):
    header = tmp_path / "nice.h"
    header.write_text("""int bpf_task_nice(struct task_struct *p);
BTF_KFUNCS_START(nice_set)
BTF_ID_FLAGS(func, bpf_task_nice)
BTF_KFUNCS_END(nice_set)
static const struct btf_kfunc_id_set nice_kfunc_set = { .owner = THIS_MODULE, .set = &nice_set };
static int init(void) { return register_btf_kfunc_id_set(BPF_PROG_TYPE_SYSCALL, &nice_kfunc_set); }
""")
    text = '# SEC("syscall")\n r1 = 0\n call bpf_task_nice\n r0 = 0\n exit\n'
    old = verify_text(text, profile="linux-6.18", catalog=str(header))
    new = verify_text(text, profile="linux-7.0", catalog=str(header))
    assert old.error.message == ("arg#0 pointer type STRUCT task_struct must point to scalar, "
                                 "or struct with scalar")
    assert new.error.message == "Possibly NULL pointer passed to trusted arg0"


def test_bad_input_is_an_error_not_a_verdict():
    from kfunclab.errors import KfunclabError

    with pytest.raises(KfunclabError, match="unknown function 'bpf_no_such_kfunc'"):
        verify(parse_program('# SEC("syscall")\n call bpf_no_such_kfunc\n exit\n', "x.s"))


def test_trampoline_programs_are_modelled_and_say_so():
    result = verify_text('# SEC("fentry/do_unlinkat")\n r0 = 0\n exit\n', btf="bundled")
    assert result.accepted
    assert "refused before verification" in result.notes[0]
    assert result.to_json("x.s")["notes"] == list(result.notes)


def test_and_with_a_constant_forks_minus_one_and_zero():
    """Live 6.18: accepted, processed 17 insns, 0 states (the fork re-runs `r0 &= 12`)."""
    result = verify(parse_file(str(PROGRAMS / "fork_and_mask.s")), btf="bundled")
    assert result.accepted
    assert (result.stats.processed_insns, result.stats.total_states) == (17, 0)
    loads = [s.state.reg_text(1) for p in result.paths for s in p.steps if s.insn == 7]
    assert sorted(loads) == ["fp-16", "fp-4"]


_NULL_TO_RELEASE = """# SEC("tp_btf/task_newtask")
	r1 = 1
	call bpf_find_get_task_by_vpid
	r1 = r0                    # may be NULL
	call bpf_task_release
	r0 = 0
	exit
"""


def test_doc_profile_release_does_not_imply_trusted_args():
    """6.2: is_kfunc_trusted_args() tested KF_TRUSTED_ARGS only ("bpf: Treat KF_RELEASE kfuncs
    as KF_TRUSTED_ARGS" is 6.4), so a maybe-NULL pointer fails the type check instead."""
    result = verify_text(_NULL_TO_RELEASE, btf="bundled", profile="doc")
    assert (result.error.insn, result.error.message) == (
        3, "arg#0 is ptr_or_null_ expected ptr_ or socket")


def test_since_6_4_release_implies_trusted_args():
    text = _NULL_TO_RELEASE.replace("bpf_find_get_task_by_vpid", "bpf_task_from_pid")
    result = verify_text(text.replace("tp_btf/task_newtask", "syscall"), btf="bundled")
    assert result.error.message == "Possibly NULL pointer passed to trusted arg0"


def test_doc_profile_has_the_six_annotations_of_6_2():
    from kfunclab.kfuncs import Annotation, get_profile

    doc = get_profile("doc").annotations
    assert len(doc) == 6 and Annotation.UNINIT not in doc
    assert Annotation.UNINIT in get_profile("linux-6.18").annotations
