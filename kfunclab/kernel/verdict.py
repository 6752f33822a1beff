"""The live kernel's verdict on a Program: load it for verification, read the log, close the fd.

:func:`kernel_verdict` resolves the program against the running kernel's BTF
(:mod:`kfunclab.kernel.link`), creates its program BTF and maps if it declares any, calls
``BPF_PROG_LOAD`` (from a child without the ``# CAPS:`` capabilities if it drops some), closes
every fd, and summarises the log in the ``kernel-verdict`` format:

- ``error`` is the last meaningful line before the ``processed N insns`` summary, e.g.
  ``BPF_EXIT instruction in main prog would lead to reference leak``;
- a refusal with an empty log (a permission check before the verifier runs) reads
  ``errno 1 (EPERM), empty verifier log``;
- ``verdict == "error"`` means the program never reached the verifier: its BTF or a map was
  refused.

>>> summary_stats("processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 "
...               "peak_states 0 mark_read 0")
(2, 0, 0, 0)
"""

from __future__ import annotations

import functools
import os
import re
import struct
from dataclasses import asdict, dataclass
from typing import Any

from kfunclab.isa.program import Program
from kfunclab.kernel import bpf
from kfunclab.kernel.link import KernelBtf, LoadPlan, find_id, plan_load

VMLINUX_BTF = "/sys/kernel/btf/vmlinux"

# print_verification_stats() in kernel/bpf/verifier.c
_SUMMARY = re.compile(r"processed (\d+) insns \(limit \d+\) max_states_per_insn (\d+) "
                      r"total_states (\d+) peak_states (\d+)")
_SUMMARY_START = re.compile(r"processed \d+ insns")
# Lines after the error that say nothing about it (stats, state dumps of log_level 2).
_NOT_THE_ERROR = ("verification time", "stack depth", "-- END PROG LOAD LOG", "cur state:",
                  "old state:")


@dataclass(frozen=True, slots=True)
class KernelVerdict:
    """What the running kernel said about a program.

    ``verdict`` is ``"accept"``, ``"reject"`` or ``"error"`` (never verified: BTF/map setup
    refused). ``error`` is None on accept. The state counters come from the log's summary line
    and are None when the kernel printed none.
    """

    verdict: str
    errno: int | None
    error: str | None
    log: str
    processed_insns: int | None
    total_states: int | None
    peak_states: int | None
    max_states_per_insn: int | None
    kernel: str

    @property
    def accepted(self) -> bool:
        return self.verdict == "accept"


def summary_stats(log: str) -> tuple[int, int, int, int] | None:
    """``(processed_insns, max_states_per_insn, total_states, peak_states)`` of the summary."""
    for line in reversed(log.splitlines()):
        found = _SUMMARY.search(line)
        if found:
            processed, per_insn, total, peak = (int(g) for g in found.groups())
            return processed, per_insn, total, peak
    return None


def error_line(log: str, errno: int) -> str:
    """The last meaningful log line before the summary, or the empty-log convention.

    >>> error_line("0: (95) exit\\nR0 !read_ok\\nprocessed 1 insns (limit 1000000) ...", 13)
    'R0 !read_ok'
    >>> error_line("", 1)
    'errno 1 (EPERM), empty verifier log'
    """
    lines = log.rstrip("\n").splitlines()
    if not log.strip():
        return f"errno {errno} ({bpf.errno_name(errno)}), empty verifier log"
    end = len(lines)
    for index in range(len(lines) - 1, -1, -1):
        if _SUMMARY_START.match(lines[index]):
            end = index
            break
    for line in reversed(lines[:end]):
        text = line.strip()
        if text and not text.startswith(_NOT_THE_ERROR):
            return text
    return f"errno {errno} ({bpf.errno_name(errno)}), empty verifier log"


#: errno of map_check_no_btf(): the map type takes no BTF key/value types (xskmap, sockmap,
#: devmap, cpumap, maps of maps ...)
_ENOTSUPP = 524


def _create_map(decl: Any, map_type: int, btf_fd: int) -> int:
    """BPF_MAP_CREATE with the declaration's BTF key/value ids, and without them where the map
    type refuses BTF (``map_check_no_btf()``), as libbpf's ``bpf_object__create_map()``
    retries."""
    sizes = dict(map_type=map_type, key_size=decl.key_size, value_size=decl.value_size,
                 max_entries=decl.max_entries, map_flags=decl.flags, name=decl.name)
    try:
        return bpf.map_create(**sizes, btf_fd=btf_fd, btf_key_type_id=decl.key_type_id,
                              btf_value_type_id=decl.value_type_id)
    except bpf.BpfCommandError as err:
        if err.errno != _ENOTSUPP or not (decl.key_type_id or decl.value_type_id):
            raise
    return bpf.map_create(**sizes)


def _load(plan: LoadPlan, log_level: int) -> dict[str, Any]:
    """Create BTF and maps, load the program, close every fd; a JSON-able outcome."""
    fds: list[int] = []
    try:
        insns = plan.insns
        btf_fd = 0
        if plan.prog_btf is not None:
            btf_fd = bpf.btf_load(plan.prog_btf.blob)
            fds.append(btf_fd)
            map_fds = {}
            for decl, map_type in zip(plan.prog_btf.maps, plan.map_types, strict=True):
                map_fds[decl.name] = _create_map(decl, map_type, btf_fd)
                fds.append(map_fds[decl.name])
            patched = bytearray(insns)
            for slot, name in plan.map_slots:  # BPF_PSEUDO_MAP_FD: imm of the first slot = fd
                struct.pack_into("<i", patched, 8 * slot + 4, map_fds[name])
            insns = bytes(patched)
        result = bpf.prog_load(
            insns, prog_type=plan.prog_type, expected_attach_type=plan.expected_attach_type,
            attach_btf_id=plan.attach_btf_id, prog_flags=plan.prog_flags, license=plan.license,
            log_level=log_level, prog_btf_fd=btf_fd,
            func_info=plan.prog_btf.func_info_bytes() if plan.prog_btf is not None else b"",
            name=plan.name)
        return {"setup_error": None, **asdict(result)}
    except bpf.BpfCommandError as exc:
        return {"setup_error": str(exc), "accepted": False, "errno": exc.errno, "log": ""}
    finally:
        for fd in fds:
            os.close(fd)


@functools.cache
def live_btf() -> KernelBtf:
    """The running kernel's BTF (``load_btf("live")``), read once."""
    from kfunclab.btf import load_btf

    btf: KernelBtf = load_btf("live")
    return btf


def kernel_verdict(program: Program, btf: KernelBtf | None = None, *,
                   log_level: int = 2) -> KernelVerdict:
    """Ask the running kernel's verifier about ``program`` (load only, fd closed at once).

    ``btf`` is the running kernel's BTF (default: ``load_btf("live")``); ``log_level`` 2 logs
    every instruction, 1 only the path to the error. Raises a KfunclabError for a program that
    cannot be resolved against this kernel (unknown section, call or struct).

    >>> from kfunclab.isa.parser import parse_program
    >>> ok, _why = kernel_available()
    >>> v = kernel_verdict(parse_program('# SEC("xdp")\\n r0 = 2\\n exit\\n')) if ok else None
    >>> v.verdict if v else "accept"
    'accept'
    """
    kernel_btf = btf if btf is not None else live_btf()
    plan = plan_load(program, kernel_btf)
    if plan.dropped_caps:
        outcome = bpf.run_without_caps(plan.dropped_caps, lambda: _load(plan, log_level))
    else:
        outcome = _load(plan, log_level)
    return _verdict(outcome, program, kernel_btf)


def _verdict(outcome: dict[str, Any], program: Program, btf: KernelBtf) -> KernelVerdict:
    release = os.uname().release
    if outcome["setup_error"] is not None:
        return KernelVerdict("error", outcome["errno"], _setup_hint(outcome, program, btf),
                             "", None, None, None, None, release)
    log: str = outcome["log"]
    stats = summary_stats(log)
    processed, per_insn, total, peak = stats if stats else (None, None, None, None)
    accepted: bool = outcome["accepted"]
    return KernelVerdict(
        verdict="accept" if accepted else "reject",
        errno=None if accepted else outcome["errno"],
        error=None if accepted else error_line(log, outcome["errno"]),
        log=log, processed_insns=processed, total_states=total, peak_states=peak,
        max_states_per_insn=per_insn, kernel=release)


def _setup_hint(outcome: dict[str, Any], program: Program, btf: KernelBtf) -> str:
    message: str = outcome["setup_error"]
    if message.startswith("BPF_BTF_LOAD"):
        # btf_parse_kptr() looks a kptr's target up in vmlinux by name before the program BTF
        clash = [s.name for s in program.all_local_structs()
                 if find_id(btf, s.name, "STRUCT") is not None]
        if clash:
            message += (f" (TYPE struct {', '.join(clash)} shares its name with a kernel struct: "
                        "the kernel matches __kptr targets by name)")
    return message


@functools.cache
def kernel_available() -> tuple[bool, str]:
    """Whether bpf() can be asked here, and if not, why (a test's skip reason).

    Needs a supported machine, root (or CAP_SYS_ADMIN), a readable ``/sys/kernel/btf/vmlinux``,
    and a bpf() that loads ``r0 = 0; exit`` as a socket filter (not blocked by seccomp or
    ``kernel.unprivileged_bpf_disabled``).

    >>> isinstance(kernel_available()[1], str)
    True
    """
    if bpf.machine() not in bpf.SYS_BPF:
        return False, f"bpf(2) syscall number unknown for machine {bpf.machine()!r}"
    if os.geteuid() != 0 and not bpf.effective_caps() >> bpf.CAPABILITIES["cap_sys_admin"] & 1:
        return False, "not running as root (needs CAP_SYS_ADMIN/CAP_BPF to load programs)"
    if not os.access(VMLINUX_BTF, os.R_OK):
        return False, f"{VMLINUX_BTF} is not readable (kernel built without BTF?)"
    trivial = bytes.fromhex("b700000000000000" "9500000000000000")  # r0 = 0; exit
    try:
        result = bpf.prog_load(trivial, prog_type=1, log_level=0)  # BPF_PROG_TYPE_SOCKET_FILTER
    except (OSError, bpf.BpfCommandError) as exc:
        return False, f"bpf() unusable: {exc}"
    if not result.accepted:
        return False, (f"bpf(BPF_PROG_LOAD) refused a trivial program: errno {result.errno} "
                       f"({bpf.errno_name(result.errno)})")
    return True, f"bpf() available (kernel {os.uname().release})"
