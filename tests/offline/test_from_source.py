"""Rules the kernel here cannot show, with answers written from the v6.18 source.

The development machine's kernel has no destructive kfunc (``crash_kexec`` needs
CONFIG_CRASH_DUMP), refuses trampoline programs (fentry/fexit/lsm) with EPERM before verifying,
has ``kernel.unprivileged_bpf_disabled`` set, and loads no test module. So these expectations
cannot come from the live kernel: each is written from the kernel function named beside it,
and kfunclab must give it. Where the live kernel can at least confirm the refusal before
verification, a ``kernel`` test asks it.
"""

from __future__ import annotations

import pytest

from kfunclab.errors import KfunclabError
from kfunclab.isa.parser import parse_program
from kfunclab.kernel import kernel_available
from kfunclab.progtypes import program_type
from kfunclab.verifier import verify, verify_text
from kfunclab.verifier.cfg import check_cfg

DESTRUCTIVE = "destructive kfunc calls require CAP_SYS_BOOT capability"
AVAILABLE, WHY = kernel_available()


def _answer(text: str, **options: object) -> tuple[str, str | None]:
    got = verify_text(text, btf="bundled", **options)
    return got.verdict.value, got.error.message if got.error else None


def _crash(sec: str, caps: str, before: str = "") -> str:
    caps_line = f"# CAPS: {caps}\n" if caps else ""
    return (f'# SEC("{sec}")\n{caps_line}# crash_kexec, loaded for its verdict only\n{before}'
            "\tr1 = 0\n\tcall crash_kexec\n\tr0 = 0\n\texit\n")


# --- destructive kfuncs ------------------------------------------------------------------------
# check_kfunc_call(): "if (is_kfunc_destructive(&meta) && !capable(CAP_SYS_BOOT))" ->
# -EACCES "destructive kfunc calls require CAP_SYS_BOOT capability", checked before the
# arguments. CAP_SYS_ADMIN does not stand in for CAP_SYS_BOOT. The NULL regs pointer is a
# KF_ARG_PTR_TO_MEM (pt_regs is a struct of scalars) and check_mem_reg() lets NULL through.

@pytest.mark.parametrize("sec", ["syscall", "tc"])
@pytest.mark.parametrize(("caps", "want"), [
    ("", ("accept", None)),
    ("-cap_sys_boot", ("reject", DESTRUCTIVE)),
    ("-cap_sys_admin", ("accept", None)),  # CAP_SYS_ADMIN is not what is checked
    ("-cap_sys_admin, -cap_perfmon", ("accept", None)),
    ("-cap_sys_boot, -cap_perfmon", ("reject", DESTRUCTIVE)),
], ids=["all-caps", "no-sys-boot", "no-sys-admin", "no-admin-no-perfmon", "no-boot-no-perfmon"])
def test_destructive_kfunc_needs_cap_sys_boot(sec: str, caps: str,
                                               want: tuple[str, str | None]) -> None:
    assert _answer(_crash(sec, caps)) == want


@pytest.mark.parametrize("arm", ["fall_through", "taken"])
def test_destructive_kfunc_on_either_arm_is_refused_without_cap_sys_boot(arm: str) -> None:
    call = "\tr1 = 0\n\tcall crash_kexec\n"
    fall, taken = (call, "\tr7 = 1\n") if arm == "fall_through" else ("\tr7 = 1\n", call)
    text = ('# SEC("syscall")\n# CAPS: -cap_sys_boot\n# crash_kexec on one arm\n'
            "\tcall bpf_get_prandom_u32\n\tif r0 == 0 goto other\n" + fall + "\tgoto out\n"
            "other:\n" + taken + "out:\n\tr0 = 0\n\texit\n")
    assert _answer(text) == ("reject", DESTRUCTIVE)


def test_destructive_check_comes_before_the_arguments() -> None:
    """Even an argument the kernel would refuse is not looked at without CAP_SYS_BOOT."""
    text = ('# SEC("syscall")\n# CAPS: -cap_sys_boot\n# r1 is a scalar, not a pointer\n'
            "\tr1 = 42\n\tcall crash_kexec\n\tr0 = 0\n\texit\n")
    assert _answer(text) == ("reject", DESTRUCTIVE)


# check_kfunc_args(): pt_regs is a struct of scalars, so crash_kexec's regs is
# KF_ARG_PTR_TO_MEM of btf_resolve_size(pt_regs) bytes and check_mem_reg() checks that many at
# the stack pointer: 8 bytes at fp-8 are too few ("invalid read from stack", -EINVAL, from
# check_stack_access_within_bounds()); the whole struct below fp-8 is fine (a privileged loader
# may read uninitialised stack). The live kernel answers the same for cubictcp_acked and its
# ack_sample (tests/test_struct_ops.py, acked_stack_short).

@pytest.mark.parametrize("room", ["short", "whole"])
def test_destructive_kfunc_reads_the_whole_struct_it_is_given(room: str) -> None:
    from kfunclab.btf import load_btf

    btf = load_btf("bundled")
    size = btf.sizeof(btf.find("pt_regs", "STRUCT")[0])
    at = 8 if room == "short" else size
    text = (f'# SEC("syscall")\n# crash_kexec on a stack buffer\n\tr2 = 0\n'
            f"\t*(u64 *)(r10 - 8) = r2\n\tr1 = r10\n\tr1 += -{at}\n\tcall crash_kexec\n"
            "\tr0 = 0\n\texit\n")
    want = (("reject", f"invalid read from stack R1 off=-8 size={size}") if room == "short"
            else ("accept", None))
    assert _answer(text) == want


# --- trampoline programs: fentry / fexit / lsm -------------------------------------------------
# Here bpf_prog_load() answers EPERM with an empty log for them (no verification). From the
# source, the usual rules apply once they are verified: process_bpf_exit_full() ->
# check_resource_leak() refuses an exit inside bpf_rcu_read_lock or with a reference held;
# bpf_rcu_read_lock/unlock are in common_btf_ids (every program type), bpf_task_from_pid /
# bpf_task_release in generic_btf_ids (BPF_PROG_TYPE_TRACING among them).

RCU_AT_EXIT = "BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region"
LEAK = "BPF_EXIT instruction in main prog would lead to reference leak"

TRAMPOLINE = [
    ("fentry/do_unlinkat", "\tcall bpf_rcu_read_lock\n\tcall bpf_rcu_read_unlock\n", None),
    ("fentry/do_unlinkat", "\tcall bpf_rcu_read_lock  # bug: never unlocked\n", RCU_AT_EXIT),
    ("fexit/do_unlinkat", "\tr1 = 1\n\tcall bpf_task_from_pid\n\tif r0 == 0 goto out\n"
                          "\tr1 = r0\n\tcall bpf_task_release\nout:\n", None),
    ("fexit/do_unlinkat", "\tr1 = 1\n\tcall bpf_task_from_pid\n\tr6 = r0  # leak\n", LEAK),
    ("lsm/file_open", "\tcall bpf_rcu_read_lock\n\tcall bpf_rcu_read_unlock\n", None),
    ("lsm/file_open", "\tcall bpf_rcu_read_lock  # bug: never unlocked\n", RCU_AT_EXIT),
]


def _trampoline_text(sec: str, body: str) -> str:
    return f'# SEC("{sec}")\n# a trampoline program\n{body}\tr0 = 0\n\texit\n'


@pytest.mark.parametrize(("sec", "body", "error"), TRAMPOLINE,
                         ids=[f"{s.split('/')[0]}-{'ok' if e is None else 'bad'}"
                              for s, _, e in TRAMPOLINE])
def test_trampoline_programs_get_the_source_rules_and_a_note(sec: str, body: str,
                                                             error: str | None) -> None:
    got = verify_text(_trampoline_text(sec, body), btf="bundled")
    assert (got.verdict.value, got.error.message if got.error else None) == \
        (("accept", None) if error is None else ("reject", error))
    assert any("trampoline programs" in n and "EPERM" in n for n in got.notes)


@pytest.mark.kernel
@pytest.mark.skipif(not AVAILABLE, reason=WHY)
@pytest.mark.parametrize("sec", ["fentry/do_unlinkat", "fexit/do_unlinkat", "lsm/file_open"])
def test_this_kernel_refuses_trampolines_before_verifying(sec: str) -> None:
    from kfunclab.kernel import kernel_verdict

    kv = kernel_verdict(parse_program(_trampoline_text(sec, ""), "t.s"))
    if kv.accepted:
        pytest.skip("this kernel loads trampoline programs: the rule can be checked live")
    assert kv.errno == 1 and kv.error == "errno 1 (EPERM), empty verifier log"


# --- unprivileged loading ----------------------------------------------------------------------
# kernel/bpf/syscall.c bpf_prog_load(): with unprivileged_bpf_disabled = 0, socket filters and
# cgroup_skb load without CAP_BPF; then add_subprog_and_kfunc() refuses any BPF-to-BPF or
# kfunc call for a loader that is not bpf_capable (-EPERM "loading/calling other bpf or kernel
# functions are allowed for CAP_BPF and CAP_SYS_ADMIN"), and check_cfg()'s push_insn() refuses
# a back-edge ("back-edge from insn %d to %d").

def _unpriv(body: str) -> str:
    return ('# SEC("socket")\n# CAPS: -cap_bpf, -cap_sys_admin, -cap_perfmon\n# unprivileged\n'
            + body)


def test_unprivileged_types_need_no_capability_when_the_sysctl_allows() -> None:
    assert program_type("socket").load_refusal(["cap_bpf", "cap_sys_admin"],
                                               unprivileged_bpf_disabled=False) is None
    assert program_type("cgroup_skb/ingress").load_refusal(
        ["cap_bpf", "cap_sys_admin"], unprivileged_bpf_disabled=False) is None
    refusal = program_type("tc").load_refusal(["cap_bpf", "cap_sys_admin"],
                                              unprivileged_bpf_disabled=False)
    assert refusal is not None and refusal[0] == 1


@pytest.mark.parametrize("body", [
    "\tcall bpf_rcu_read_lock\n\tcall bpf_rcu_read_unlock\n\tr0 = 0\n\texit\n",
    "\tcall f\n\texit\nf:\n\tr0 = 0\n\texit\n",
], ids=["kfunc-call", "bpf-to-bpf-call"])
def test_unprivileged_calls_are_refused_by_add_subprog_and_kfunc(body: str) -> None:
    static = check_cfg(parse_program(_unpriv(body), "u.s"), privileged=False)
    assert static is not None
    assert (static.insn, static.message, static.errno) == (
        0, "loading/calling other bpf or kernel functions are allowed for CAP_BPF and "
           "CAP_SYS_ADMIN", 1)
    assert check_cfg(parse_program(_unpriv(body), "u.s"), privileged=True) is None


def test_unprivileged_loops_are_refused_by_check_cfg() -> None:
    body = "\tr0 = 3\nloop:\n\tr0 -= 1\n\tif r0 != 0 goto loop\n\texit\n"
    static = check_cfg(parse_program(_unpriv(body), "u.s"), privileged=False)
    assert static is not None and static.message == "back-edge from insn 2 to 1"
    assert check_cfg(parse_program(_unpriv(body), "u.s"), privileged=True) is None


def test_unprivileged_load_here_is_refused_before_verification() -> None:
    """kfunclab models this machine's sysctl (unprivileged_bpf_disabled != 0): EPERM."""
    assert _answer(_unpriv("\tr0 = 0\n\texit\n")) == (
        "reject", "errno 1 (EPERM), empty verifier log")


# --- kfuncs of modules that are not loaded -----------------------------------------------------
# add_kfunc_call() -> find_kfunc_desc_btf(): a kfunc lives in vmlinux BTF or in a module BTF
# passed in fd_array; with the module not loaded there is no BTF id to call (libbpf fails to
# resolve the extern before loading). kfunclab says so at the call, naming file:line:col.

@pytest.mark.parametrize("name", ["bpf_kfunc_call_test1", "bpf_testmod_test_mod_kfunc"])
def test_kfunc_of_an_unloaded_module_is_an_input_error_at_the_call(name: str) -> None:
    text = f'# SEC("syscall")\n# a bpf_testmod kfunc\n\tr1 = 1\n\tcall {name}\n\tr0 = 0\n\texit\n'
    with pytest.raises(KfunclabError) as info:
        verify(parse_program(text, "mod.s"), btf="bundled")
    assert "mod.s:4:" in str(info.value) and name in str(info.value)


# --- a kfunc whose prototype names no parameter -------------------------------------------
# check_kfunc_args() walks btf_params() of the prototype whatever the parameters are called: an
# unnamed int is still a scalar argument ("R%d is not a scalar", -EINVAL, for an unset R2). The
# shipped catalogues name every parameter, so this one is a C catalogue of our own (a kfunc no
# kernel has: written from the source).
UNNAMED_KFUNC = """
__bpf_kfunc int bpf_kfl_sum(int *, int) { return 0; }
BTF_KFUNCS_START(ids)
BTF_ID_FLAGS(func, bpf_kfl_sum)
BTF_KFUNCS_END(ids)
static const struct btf_kfunc_id_set s = { .owner = THIS_MODULE, .set = &ids };
register_btf_kfunc_id_set(BPF_PROG_TYPE_SOCKET_FILTER, &s);
"""


@pytest.mark.parametrize(("body", "want"), [
    ("\tr1 = 0\n\t*(u64 *)(r10 - 8) = r1\n\tr1 = r10\n\tr1 += -8\n\tr2 = 1\n", ("accept", None)),
    ("\tr1 = r10\n\tr1 += -8\n", ("reject", "R2 is not a scalar")),
], ids=["both-set", "r2-unset"])
def test_unnamed_kfunc_parameters_are_checked(body: str, want: tuple[str, str | None]) -> None:
    from kfunclab.kfuncs import catalog_from_c, get_profile

    cat = catalog_from_c(UNNAMED_KFUNC, get_profile("linux-6.18"), "unnamed")
    text = '# SEC("socket")\n' + body + "\tcall bpf_kfl_sum\n\tr0 = 0\n\texit\n"
    assert _answer(text, catalog=cat) == want
