"""The live kernel's verdicts on our own small programs (skipped where bpf() is unusable).

Each program is loaded for verification only; kfunclab.kernel closes every fd at once.
"""

from __future__ import annotations

import errno
import os

import pytest

from kfunclab.errors import ProgramError, SectionError
from kfunclab.isa.parser import parse_program
from kfunclab.kernel import KernelVerdict, bpf, kernel_available, kernel_verdict

AVAILABLE, WHY = kernel_available()
pytestmark = [pytest.mark.kernel, pytest.mark.skipif(not AVAILABLE, reason=WHY)]

CGROUP_OK = """\
# SEC("syscall")
# look a cgroup up by id; release it on the non-NULL path
	r1 = 1
	call bpf_cgroup_from_id
	if r0 == 0 goto done
	r1 = r0
	call bpf_cgroup_release
done:
	r0 = 0
	exit
"""

CGROUP_LEAK = """\
# SEC("syscall")
	r1 = 1
	call bpf_cgroup_from_id
	r6 = r0                    # leak: the reference is never released
	r0 = 0
	exit
"""

STACK_READ = """\
# SEC("socket")
{caps}
	r0 = *(u64 *)(r10 - 8)     # never written: fine for root, not without CAP_PERFMON
	r0 = 0
	exit
"""

# A local type allocated with bpf_obj_new_impl (TYPE id 1), parked in a kptr map slot; the
# old object is dropped. The bpf-to-bpf call makes a second func_info record (sub_N).
BOXES = """\
# SEC("syscall")
# TYPE: struct item { long value; long pad; }
# MAP: boxes array key=u32 value="struct box { struct item __kptr *it; }"
	r1 = 0
	*(u32 *)(r10 - 4) = r1
	r2 = r10
	r2 += -4
	r1 = boxes ll
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r6 = r0
	r1 = 1
	r2 = 0
	call bpf_obj_new_impl
	if r0 == 0 goto out
	r2 = r0
	r1 = r6
	call bpf_kptr_xchg
	if r0 == 0 goto out
	r1 = r0
	r2 = 0
	call bpf_obj_drop_impl
out:
	call finish
	exit
finish:
	r0 = 0
	exit
"""

FENTRY_UNPRIVILEGED = """\
# SEC("fentry/do_nanosleep")
# CAPS: -cap_perfmon, -cap_sys_admin
	r0 = 0
	exit
"""


def verdict_of(text: str, **kwargs: object) -> KernelVerdict:
    return kernel_verdict(parse_program(text, "test.s"), **kwargs)


def test_release_on_checked_path_is_accepted():
    v = verdict_of(CGROUP_OK)
    assert (v.verdict, v.errno, v.error) == ("accept", None, None)
    assert v.processed_insns == 9
    assert "call bpf_cgroup_from_id#" in v.log  # resolved as a kfunc by BTF id


def test_leak_is_rejected_with_the_kernels_message():
    v = verdict_of(CGROUP_LEAK)
    assert (v.verdict, v.errno) == ("reject", 22)
    assert v.error == "BPF_EXIT instruction in main prog would lead to reference leak"
    assert "Unreleased reference id=2 alloc_insn=1\n" in v.log
    assert (v.processed_insns, v.total_states, v.peak_states) == (5, 0, 0)


def test_log_level_1_gives_the_same_error():
    v = verdict_of(CGROUP_LEAK, log_level=1)
    assert v.error == "BPF_EXIT instruction in main prog would lead to reference leak"
    assert "Live regs before insn" not in v.log  # a log_level 2 detail


def test_dropping_perfmon_and_sys_admin_changes_the_verdict():
    privileged = verdict_of(STACK_READ.format(caps=""))
    dropped = verdict_of(STACK_READ.format(caps="# CAPS: -cap_perfmon, -cap_sys_admin"))
    assert privileged.verdict == "accept"
    assert (dropped.verdict, dropped.error) == (
        "reject", "invalid read from stack R10 off=-8 size=8")


def test_dropping_sys_boot_leaves_non_destructive_kfuncs_alone():
    text = CGROUP_OK.replace("# look", "# CAPS: -cap_sys_boot\n# look")
    v = verdict_of(text)
    assert v.verdict == "accept"


def test_dropping_sys_boot_refuses_destructive_kfunc():
    from kfunclab.kernel.link import find_id
    from kfunclab.kernel.verdict import live_btf

    text = """\
# SEC("tp_btf/sys_enter")
# CAPS: -cap_sys_boot
	r1 = *(u64 *)(r1 + 0)      # struct pt_regs *regs
	call crash_kexec           # loaded for the verdict only, never run
	r0 = 0
	exit
"""
    want = ("reject", "destructive kfunc calls require CAP_SYS_BOOT capability")
    if find_id(live_btf(), "crash_kexec", "FUNC") is None:
        # This kernel has no destructive kfunc to ask about: the answer is the kernel source's
        # (check_kfunc_call(): is_kfunc_destructive() && !capable(CAP_SYS_BOOT)), and kfunclab
        # must give it from its catalogue, where crash_kexec is modelled from source.
        from kfunclab.verifier import verify_text

        ours = verify_text(text, btf="bundled")
        assert (ours.verdict.value, ours.error.message if ours.error else None) == want
        return
    v = verdict_of(text)
    assert (v.verdict, v.errno) == ("reject", 13)
    assert (v.verdict, v.error) == want


def test_local_type_and_kptr_map_are_accepted():
    v = verdict_of(BOXES)
    assert (v.verdict, v.error) == ("accept", None)
    assert "func#1 @22\n" in v.log  # the subprogram at the call target (slot 22)
    # loaded with prog BTF + func_info: main(void *ctx) makes the kernel say this
    assert "arg#0 reference type('UNKNOWN ') size cannot be determined: -22\n" in v.log


def test_refused_program_btf_is_an_error_verdict_not_a_reject():
    text = """\
# SEC("syscall")
# TYPE: struct node { long v; }
# MAP: slots array key=u32 value="struct slot { struct node __kptr *n; }"
	r0 = 0
	exit
"""
    v = verdict_of(text)  # kernel struct "node" shadows the local one as a __kptr target
    assert (v.verdict, v.errno, v.log) == ("error", 2, "")
    assert v.error.startswith("BPF_BTF_LOAD failed: errno 2 (ENOENT)")
    assert v.error.endswith("(TYPE struct node shares its name with a kernel struct: the kernel "
                            "matches __kptr targets by name)")


def test_perm_refusal_before_verification_has_empty_log_convention():
    v = verdict_of(FENTRY_UNPRIVILEGED)
    assert (v.verdict, v.errno, v.log) == ("reject", 1, "")
    assert v.error == "errno 1 (EPERM), empty verifier log"
    assert v.processed_insns is None


TRIVIAL = bytes.fromhex("b700000000000000" "9500000000000000")  # r0 = 0; exit


def test_log_buffer_grows_on_enospc():
    grown = bpf.prog_load(TRIVIAL, prog_type=1, log_size=128)  # the kernel's minimum
    assert grown.accepted and "processed 2 insns" in grown.log
    capped = bpf.prog_load(TRIVIAL, prog_type=1, log_size=128, max_log_size=128)
    assert (capped.accepted, capped.errno) == (False, errno.ENOSPC)
    assert len(capped.log) == 127  # the rotating log keeps the tail, NUL-terminated


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_every_fd_is_closed_after_the_verdict():
    before = open_fds()
    verdict_of(BOXES)  # program BTF, one map, the program
    verdict_of(CGROUP_LEAK)
    assert open_fds() == before


def test_unresolvable_call_says_where():
    text = '# SEC("syscall")\n\tr1 = 0\n\tcall bpf_no_such_kfunc\n\tr0 = 0\n\texit\n'
    with pytest.raises(ProgramError, match=r"^test.s:3: insn 1: cannot resolve call "
                                           r"'bpf_no_such_kfunc'"):
        verdict_of(text)


def test_missing_attach_target_is_a_section_error():
    with pytest.raises(SectionError, match="attach target FUNC no_such_function_xyz"):
        verdict_of('# SEC("fentry/no_such_function_xyz")\n\tr0 = 0\n\texit\n')
