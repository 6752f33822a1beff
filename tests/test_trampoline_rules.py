"""fentry/fexit/fmod_ret and LSM programs: rules modelled from Linux 6.18's source.

The kernel kfunclab is checked against refuses these program types before verification (EPERM,
empty log), so it cannot be asked: each case pins the answer and names the source line that
decides it. Checked offline against the bundled BTF snapshot with the 6.18 profile.
"""

from __future__ import annotations

import pytest

from kfunclab.verifier.api import resolve_btf, verify_text

HEAD = '# SEC("{sec}")\n# LICENSE("GPL")\n'

CASES = [
    # (id, section, body, verdict, message, the source that decides)
    ("lsm-errno-below", "lsm/file_mprotect", "r0 = -4096\nexit", "reject",
     "At program exit the register R0 has smin=-4096 smax=-4096 should have been in [-4095, 0]",
     "bpf_lsm.c bpf_lsm_get_retval_range(): minval = -MAX_ERRNO, maxval = 0"),
    ("lsm-errno-ok", "lsm/file_mprotect", "r0 = -4095\nexit", "accept", None,
     "verifier.c check_return_code(): retval_range_within() of [-4095, 0]"),
    ("lsm-errno-32bit", "lsm/file_mprotect", "r0 = 0xfffff001 ll\nexit", "accept", None,
     "check_return_code(): return_32bit = true for LSM, so s32 -4095 passes"),
    ("lsm-bool", "lsm/audit_rule_known", "r0 = 2\nexit", "reject",
     "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]",
     "bpf_lsm.c bool_lsm_hooks: bpf_lsm_audit_rule_known returns 0 or 1"),
    ("lsm-void", "lsm/file_free_security", "exit", "accept", None,
     "check_return_code(): !attach_func_proto->type returns 0 before R0 is read"),
    ("fentry-zero", "fentry/bpf_fentry_test1", "r0 = 1\nexit", "reject",
     "At program exit the register R0 has smin=1 smax=1 should have been in [0, 0]",
     "check_return_code(): BPF_TRACE_FENTRY/FEXIT range = retval_range(0, 0)"),
    ("fmod-ret-any", "fmod_ret/bpf_modify_return_test", "r0 = *(u64 *)(r1 + 16)\nexit",
     "accept", None,
     "btf_ctx_access(): arg == nr_args is the int return for BPF_MODIFY_RETURN; "
     "check_return_code() returns 0 for it"),
    ("fexit-ret", "fexit/bpf_fentry_test1", "r2 = *(u64 *)(r1 + 8)\nr0 = 0\nexit", "accept",
     None, "btf_ctx_access(): BPF_TRACE_FEXIT reads the return value after the arguments"),
    ("fentry-no-ret", "fentry/bpf_fentry_test1", "r2 = *(u64 *)(r1 + 8)\nr0 = 0\nexit",
     "reject", "invalid bpf_context access off=8 size=8",
     "btf_ctx_access(): arg == nr_args for fentry: \"doesn't have 2-th argument\""),
    ("lsm-retval-range", "lsm/file_mprotect", "r0 = *(u64 *)(r1 + 24)\nexit", "accept", None,
     "check_mem_access(): info.is_retval -> __mark_reg_s32_range(-MAX_ERRNO, 0)"),
    ("lsm-retval-plus-one", "lsm/file_mprotect", "r0 = *(u64 *)(r1 + 24)\nr0 += 1\nexit",
     "reject",
     "At program exit the register R0 has smin=-4094 smax=1 should have been in [-4095, 0]",
     "the loaded range [-4095, 0] plus one leaves the hook's range"),
    ("css-task-iter-fentry", "fentry/bpf_fentry_test1",
     "r1 = r10\nr1 += -24\nr2 = 0\nr3 = 0\ncall bpf_iter_css_task_new\nr0 = 0\nexit",
     "reject", "css_task_iter is only allowed in bpf_lsm, bpf_iter and sleepable progs",
     "verifier.c check_css_task_iter_allowlist(): not LSM, not an iterator, not sleepable"),
    ("lsm-sleepable-hook", "lsm.s/bpf", "r0 = 0\nexit", "accept", None,
     "bpf_lsm.c sleepable_lsm_hooks holds bpf_lsm_bpf"),
    ("lsm-not-sleepable", "lsm.s/file_mprotect", "r0 = 0\nexit", "reject",
     "bpf_lsm_file_mprotect is not sleepable",
     "verifier.c bpf_check_attach_target(): !bpf_lsm_is_sleepable_hook(btf_id)"),
    ("fexit-noreturn", "fexit/do_exit", "r0 = 0\nexit", "reject",
     "Attaching fexit/fmod_ret to __noreturn function 'do_exit' is rejected.",
     "verifier.c check_attach_btf_id(): noreturn_deny holds do_exit"),
    ("fentry-do-exit", "fentry/do_exit", "r0 = 0\nexit", "accept", None,
     "noreturn_deny is checked for fexit and fmod_ret only"),
    ("fmod-ret-security", "fmod_ret/security_file_open", "r0 = -1\nexit", "accept", None,
     "check_attach_modify_return(): a security_* function may be modified"),
    ("fmod-ret-unknown", "fmod_ret/vfs_read", "r0 = 0\nexit", "unsupported", None,
     "check_attach_modify_return(): within_error_injection_list() is runtime data"),
    ("fentry-s-unknown", "fentry.s/vfs_read", "r0 = 0\nexit", "unsupported", None,
     "bpf_check_attach_target(): within_error_injection_list() is runtime data"),
    ("lsm-cgroup-void", "lsm_cgroup/file_free_security", "r0 = 0\nexit", "reject",
     "Note, BPF_LSM_CGROUP that attach to void LSM hooks can't modify return value!",
     "check_return_code(): BPF_LSM_CGROUP on a void hook: retval_range(1, 1), then the note"),
    ("lsm-cgroup-int", "lsm_cgroup/file_mprotect", "r0 = 1\nexit", "accept", None,
     "check_return_code(): BPF_LSM_CGROUP keeps retval_range(0, 1)"),
    ("untrusted-hook-arg", "lsm/file_free_security",
     "r1 = *(u64 *)(r1 + 0)\nr2 = 0\nr3 = 0\ncall bpf_path_d_path\nr0 = 0\nexit", "reject",
     "R1 must be referenced or trusted",
     "bpf_lsm.c untrusted_lsm_hooks: file_free_security's file is not trusted "
     "(btf_ctx_access(): prog_args_trusted() -> bpf_lsm_is_trusted())"),
    ("trusted-hook-arg", "lsm/file_open",
     "r1 = *(u64 *)(r1 + 0)\nr2 = 0\nr3 = 0\ncall bpf_path_d_path\nr0 = 0\nexit", "reject",
     "kernel function bpf_path_d_path args#0 expected pointer to STRUCT path but R1 has a "
     "pointer to STRUCT file", "file_open's file is trusted: the type check comes next"),
    ("func-arg-cnt-fentry", "fentry/bpf_fentry_test1",
     "call bpf_get_func_arg_cnt\nr0 = 0\nexit", "accept", None,
     "bpf_trace.c tracing_prog_func_proto(): bpf_prog_has_trampoline() gives get_func_arg_cnt"),
    ("func-ret-fexit", "fexit/bpf_fentry_test1",
     "r2 = r10\nr2 += -8\ncall bpf_get_func_ret\nr0 = 0\nexit", "accept", None,
     "tracing_prog_func_proto(): get_func_ret for a trampoline (a fentry's gets -EOPNOTSUPP at "
     "run time, not a refusal)"),
    ("attach-cookie-lsm", "lsm/file_open", "call bpf_get_attach_cookie\nr0 = 0\nexit",
     "accept", None, "bpf_lsm.c bpf_lsm_func_proto(): get_attach_cookie with a trampoline"),
    ("d-path-not-allowed", "lsm/file_alloc_security",
     "r1 = 0\nr2 = 0\nr3 = 0\ncall bpf_d_path\nr0 = 0\nexit", "reject",
     "helper call is not allowed in probe",
     "bpf_trace.c bpf_d_path_allowed(): LSM only on bpf_lsm_is_sleepable_hook()"),
    ("sleep-no-preempt", "fentry.s/bpf_fentry_test1",
     "call bpf_preempt_disable\nr1 = r10\nr1 += -8\nr2 = 4\nr3 = 0\ncall bpf_copy_from_user\n"
     "call bpf_preempt_enable\nr0 = 0\nexit", "reject",
     "sleepable helper bpf_copy_from_user#148 in non-preemptible region",
     "verifier.c check_helper_call(): active_preempt_locks && fn->might_sleep"),
]


@pytest.fixture(scope="module")
def btf():
    found = resolve_btf("bundled")
    if found is None:
        pytest.skip("no bundled BTF snapshot")
    return found


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_trampoline_rule(case, btf):
    _id, sec, body, verdict, message, _source = case
    result = verify_text(HEAD.format(sec=sec) + body + "\n", btf="bundled", profile="linux-6.18")
    assert result.verdict.value == verdict, result.error
    if message is not None:
        assert result.error.message == message
    assert any("refused before verification" in n for n in result.notes)


def test_disabled_lsm_hook_names_its_btf_id(btf):
    """bpf_lsm_verify_prog(): the id printed is bpf_lsm_getprocattr's in the BTF in use."""
    result = verify_text(HEAD.format(sec="lsm/getprocattr") + "r0 = 0\nexit\n", btf="bundled",
                         profile="linux-6.18", log_level=2)
    (btf_id,) = btf.find("bpf_lsm_getprocattr", "FUNC")
    assert result.verdict.value == "reject"
    assert result.error.message == (f"attach_btf_id {btf_id} points to disabled hook "
                                    "bpf_lsm_getprocattr")
    assert result.log_lines[0] == "func#0 @0"


def test_unprobed_types_are_the_probes():
    """The live profile leaves to the catalogue exactly the types the probe never loads."""
    from kfunclab.kernel.probe import NOT_PROBED_TYPES as PROBE_SKIPS
    from kfunclab.kfuncs.live import NOT_PROBED_TYPES

    assert frozenset(PROBE_SKIPS) == NOT_PROBED_TYPES
