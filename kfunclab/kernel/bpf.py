"""The bpf(2) system call through ctypes: load for verification only.

Three commands and nothing else: ``BPF_PROG_LOAD`` (the verifier's verdict), ``BPF_BTF_LOAD`` and
``BPF_MAP_CREATE`` (the program BTF and maps a program with ``# TYPE:``/``# MAP:`` lines needs).
Every fd the kernel returns is closed by the caller as soon as the verdict is read; this module
never attaches, test-runs, pins, links, or touches map elements.

The ``union bpf_attr`` members are ctypes structures laid out as in ``include/uapi/linux/bpf.h``
(``__aligned_u64`` fields are 8-byte aligned, which is ctypes' natural alignment for c_uint64).
The kernel accepts a shorter attr than its own (it zero-fills the rest) and refuses a longer one
only if the extra bytes are non-zero, so these prefixes work on older and newer kernels alike.

Capabilities: :func:`run_without_caps` runs a function in a forked child that first drops
capabilities from its effective set (``capset``), and hands the child's JSON-able result back
over a pipe — the ``# CAPS: -cap_x`` directive of program files.

>>> ProgLoadAttr.attach_btf_id.offset, ProgLoadAttr.log_true_size.offset
(108, 140)
"""

from __future__ import annotations

import ctypes
import errno as errno_mod
import json
import os
import platform
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from kfunclab.errors import KfunclabError

#: bpf(2) system call numbers by machine (``uname -m``).
SYS_BPF = {"x86_64": 321, "aarch64": 280}
#: capget(2) / capset(2) by machine.
SYS_CAPGET = {"x86_64": 125, "aarch64": 90}
SYS_CAPSET = {"x86_64": 126, "aarch64": 91}

BPF_OBJ_NAME_LEN = 16
#: prog_flags bit: the program may sleep (``SEC("fentry.s/...")``, ``syscall``, ...).
BPF_F_SLEEPABLE = 1 << 4
#: Largest verifier log we ask for; the kernel's own limit is UINT_MAX >> 2.
MAX_LOG_SIZE = 256 << 20
INITIAL_LOG_SIZE = 1 << 20
#: The BTF load log only needs to carry an error message.
BTF_LOG_SIZE = 1 << 16

#: Capability numbers of ``include/uapi/linux/capability.h``, by their lower-case names.
CAPABILITIES: dict[str, int] = {
    "cap_chown": 0, "cap_dac_override": 1, "cap_dac_read_search": 2, "cap_fowner": 3,
    "cap_fsetid": 4, "cap_kill": 5, "cap_setgid": 6, "cap_setuid": 7, "cap_setpcap": 8,
    "cap_linux_immutable": 9, "cap_net_bind_service": 10, "cap_net_broadcast": 11,
    "cap_net_admin": 12, "cap_net_raw": 13, "cap_ipc_lock": 14, "cap_ipc_owner": 15,
    "cap_sys_module": 16, "cap_sys_rawio": 17, "cap_sys_chroot": 18, "cap_sys_ptrace": 19,
    "cap_sys_pacct": 20, "cap_sys_admin": 21, "cap_sys_boot": 22, "cap_sys_nice": 23,
    "cap_sys_resource": 24, "cap_sys_time": 25, "cap_sys_tty_config": 26, "cap_mknod": 27,
    "cap_lease": 28, "cap_audit_write": 29, "cap_audit_control": 30, "cap_setfcap": 31,
    "cap_mac_override": 32, "cap_mac_admin": 33, "cap_syslog": 34, "cap_wake_alarm": 35,
    "cap_block_suspend": 36, "cap_audit_read": 37, "cap_perfmon": 38, "cap_bpf": 39,
    "cap_checkpoint_restore": 40,
}

# _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set.
_CAP_VERSION_3 = 0x20080522


class Cmd(IntEnum):
    """The bpf(2) commands kfunclab issues (``enum bpf_cmd``)."""

    MAP_CREATE = 0
    PROG_LOAD = 5
    BTF_LOAD = 18


class ProgLoadAttr(ctypes.Structure):
    """``union bpf_attr`` as ``BPF_PROG_LOAD`` reads it (up to ``fd_array_cnt``, 152 bytes)."""

    _fields_ = (
        ("prog_type", ctypes.c_uint32),
        ("insn_cnt", ctypes.c_uint32),
        ("insns", ctypes.c_uint64),
        ("license", ctypes.c_uint64),
        ("log_level", ctypes.c_uint32),
        ("log_size", ctypes.c_uint32),
        ("log_buf", ctypes.c_uint64),
        ("kern_version", ctypes.c_uint32),
        ("prog_flags", ctypes.c_uint32),
        ("prog_name", ctypes.c_char * BPF_OBJ_NAME_LEN),
        ("prog_ifindex", ctypes.c_uint32),
        ("expected_attach_type", ctypes.c_uint32),
        ("prog_btf_fd", ctypes.c_uint32),
        ("func_info_rec_size", ctypes.c_uint32),
        ("func_info", ctypes.c_uint64),
        ("func_info_cnt", ctypes.c_uint32),
        ("line_info_rec_size", ctypes.c_uint32),
        ("line_info", ctypes.c_uint64),
        ("line_info_cnt", ctypes.c_uint32),
        ("attach_btf_id", ctypes.c_uint32),
        # union { attach_prog_fd; attach_btf_obj_fd; }: one u32 either way
        ("attach_prog_fd", ctypes.c_uint32),
        ("core_relo_cnt", ctypes.c_uint32),
        ("fd_array", ctypes.c_uint64),
        ("core_relos", ctypes.c_uint64),
        ("core_relo_rec_size", ctypes.c_uint32),
        ("log_true_size", ctypes.c_uint32),
        ("prog_token_fd", ctypes.c_int32),
        ("fd_array_cnt", ctypes.c_uint32),
    )


class BtfLoadAttr(ctypes.Structure):
    """``union bpf_attr`` as ``BPF_BTF_LOAD`` reads it (40 bytes)."""

    _fields_ = (
        ("btf", ctypes.c_uint64),
        ("btf_log_buf", ctypes.c_uint64),
        ("btf_size", ctypes.c_uint32),
        ("btf_log_size", ctypes.c_uint32),
        ("btf_log_level", ctypes.c_uint32),
        ("btf_log_true_size", ctypes.c_uint32),
        ("btf_flags", ctypes.c_uint32),
        ("btf_token_fd", ctypes.c_int32),
    )


class MapCreateAttr(ctypes.Structure):
    """``union bpf_attr`` as ``BPF_MAP_CREATE`` reads it (up to ``map_token_fd``, 80 bytes)."""

    _fields_ = (
        ("map_type", ctypes.c_uint32),
        ("key_size", ctypes.c_uint32),
        ("value_size", ctypes.c_uint32),
        ("max_entries", ctypes.c_uint32),
        ("map_flags", ctypes.c_uint32),
        ("inner_map_fd", ctypes.c_uint32),
        ("numa_node", ctypes.c_uint32),
        ("map_name", ctypes.c_char * BPF_OBJ_NAME_LEN),
        ("map_ifindex", ctypes.c_uint32),
        ("btf_fd", ctypes.c_uint32),
        ("btf_key_type_id", ctypes.c_uint32),
        ("btf_value_type_id", ctypes.c_uint32),
        ("btf_vmlinux_value_type_id", ctypes.c_uint32),
        ("map_extra", ctypes.c_uint64),
        ("value_type_btf_obj_fd", ctypes.c_int32),
        ("map_token_fd", ctypes.c_int32),
    )


class BpfCommandError(KfunclabError):
    """A bpf(2) command other than the verdict itself failed (BTF or map setup, no syscall).

    >>> str(BpfCommandError("BPF_BTF_LOAD", 2, "Invalid name"))
    'BPF_BTF_LOAD failed: errno 2 (ENOENT): Invalid name'
    """

    def __init__(self, command: str, errno: int, detail: str = "") -> None:
        self.command = command
        self.errno = errno
        self.detail = detail
        text = f"{command} failed: errno {errno} ({errno_name(errno)})"
        super().__init__(f"{text}: {detail}" if detail else text)


def errno_name(errno: int) -> str:
    """``errno.errorcode`` name, ``"?"`` if unknown.

    >>> errno_name(13)
    'EACCES'
    """
    return errno_mod.errorcode.get(errno, "?")


def machine() -> str:
    return platform.machine()


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _syscall_number(table: dict[str, int], what: str) -> int:
    number = table.get(machine())
    if number is None:
        raise BpfCommandError(what, errno_mod.ENOSYS, f"unsupported machine {machine()!r}")
    return number


def sys_bpf(cmd: Cmd, attr: ctypes.Structure) -> tuple[int, int]:
    """Issue bpf(cmd, &attr, sizeof attr); return ``(result, errno)`` (errno 0 on success).

    The attr is updated in place by the kernel (``log_true_size`` for instance).
    """
    ctypes.set_errno(0)
    ret = _libc().syscall(
        ctypes.c_long(_syscall_number(SYS_BPF, "bpf")),
        ctypes.c_long(int(cmd)),
        ctypes.byref(attr),
        ctypes.c_uint(ctypes.sizeof(attr)),
    )
    return (int(ret), ctypes.get_errno() if ret < 0 else 0)


def object_name(name: str) -> bytes:
    """A name the kernel accepts for a program or map: ``[A-Za-z0-9_.]``, at most 15 bytes.

    >>> object_name("leak-in-loop.s")
    b'leak_in_loop.s'
    """
    return re.sub(r"[^A-Za-z0-9_.]", "_", name).encode()[: BPF_OBJ_NAME_LEN - 1]


def _addr(buf: ctypes.Array[Any] | None) -> int:
    return ctypes.addressof(buf) if buf is not None else 0


@dataclass(frozen=True, slots=True)
class ProgLoadResult:
    """What BPF_PROG_LOAD answered: accepted or not, the errno, and the verifier log text."""

    accepted: bool
    errno: int
    log: str


def prog_load(
    insns: bytes,
    *,
    prog_type: int,
    expected_attach_type: int = 0,
    attach_btf_id: int = 0,
    prog_flags: int = 0,
    license: str = "GPL",
    log_level: int = 2,
    prog_btf_fd: int = 0,
    func_info: bytes = b"",
    name: str = "kfunclab",
    log_size: int = INITIAL_LOG_SIZE,
    max_log_size: int = MAX_LOG_SIZE,
) -> ProgLoadResult:
    """Load ``insns`` for verification and close the program fd at once.

    The log buffer starts at ``log_size`` bytes and grows on ENOSPC (to the size the kernel says
    it needed, else 4x) up to ``max_log_size``; past that the ENOSPC answer and the log's tail
    are returned. ``func_info`` is packed ``{u32 insn_off; u32 type_id}`` records.
    """
    if len(insns) % 8 or not insns:
        raise BpfCommandError("BPF_PROG_LOAD", errno_mod.EINVAL, "instructions not 8-byte slots")
    insn_buf = ctypes.create_string_buffer(insns, len(insns))
    license_buf = ctypes.create_string_buffer(license.encode())
    info_buf = ctypes.create_string_buffer(func_info, len(func_info)) if func_info else None
    log_size = min(log_size, max_log_size) if log_level else 0
    while True:
        log_buf = ctypes.create_string_buffer(log_size) if log_level else None
        attr = ProgLoadAttr(
            prog_type=prog_type,
            insn_cnt=len(insns) // 8,
            insns=_addr(insn_buf),
            license=_addr(license_buf),
            log_level=log_level,
            log_size=log_size,
            log_buf=_addr(log_buf),
            prog_flags=prog_flags,
            prog_name=object_name(name),
            expected_attach_type=expected_attach_type,
            attach_btf_id=attach_btf_id,
        )
        if info_buf is not None:
            attr.prog_btf_fd = prog_btf_fd
            attr.func_info_rec_size = 8
            attr.func_info = _addr(info_buf)
            attr.func_info_cnt = len(func_info) // 8
        fd, err = sys_bpf(Cmd.PROG_LOAD, attr)
        if fd >= 0:
            os.close(fd)  # verification only: the program is never attached
        log = log_buf.value.decode(errors="replace") if log_buf is not None else ""
        # A truncated log turns any verdict into ENOSPC (bpf_vlog_finalize); ask again, bigger.
        if fd < 0 and err == errno_mod.ENOSPC and log_buf is not None and log_size < max_log_size:
            wanted = attr.log_true_size + 4096 if attr.log_true_size > log_size else log_size * 4
            log_size = min(max_log_size, max(wanted, log_size * 2))
            continue
        return ProgLoadResult(accepted=fd >= 0, errno=err, log=log)


def btf_load(blob: bytes) -> int:
    """BPF_BTF_LOAD: return the BTF fd (the caller closes it) or raise BpfCommandError."""
    blob_buf = ctypes.create_string_buffer(blob, len(blob))
    log_buf = ctypes.create_string_buffer(BTF_LOG_SIZE)
    attr = BtfLoadAttr(
        btf=_addr(blob_buf),
        btf_log_buf=_addr(log_buf),
        btf_size=len(blob),
        btf_log_size=BTF_LOG_SIZE,
        btf_log_level=1,
    )
    fd, err = sys_bpf(Cmd.BTF_LOAD, attr)
    if fd < 0:
        # The log lists every type it checked and appends a complaint to the failing one, so
        # its last line is the most telling (some refusals, e.g. kptr targets, add nothing).
        lines = [ln.strip() for ln in log_buf.value.decode(errors="replace").splitlines()]
        said = [ln for ln in lines if ln]
        raise BpfCommandError("BPF_BTF_LOAD", err, f"log ends {said[-1]!r}" if said else "")
    return fd


def map_create(
    *,
    map_type: int,
    key_size: int,
    value_size: int,
    max_entries: int,
    map_flags: int = 0,
    name: str = "",
    btf_fd: int = 0,
    btf_key_type_id: int = 0,
    btf_value_type_id: int = 0,
) -> int:
    """BPF_MAP_CREATE: return the map fd (the caller closes it) or raise BpfCommandError."""
    attr = MapCreateAttr(
        map_type=map_type,
        key_size=key_size,
        value_size=value_size,
        max_entries=max_entries,
        map_flags=map_flags,
        map_name=object_name(name),
        btf_fd=btf_fd,
        btf_key_type_id=btf_key_type_id,
        btf_value_type_id=btf_value_type_id,
    )
    fd, err = sys_bpf(Cmd.MAP_CREATE, attr)
    if fd < 0:
        raise BpfCommandError(f"BPF_MAP_CREATE {name}", err)
    return fd


# --- capabilities ---------------------------------------------------------------------------


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


def capability_number(name: str) -> int:
    """``"cap_sys_boot"`` (any case, ``cap_`` optional) → 22.

    >>> capability_number("CAP_BPF"), capability_number("perfmon")
    (39, 38)
    """
    key = name.strip().lower()
    if not key.startswith("cap_"):
        key = "cap_" + key
    if key not in CAPABILITIES:
        raise KfunclabError(f"unknown capability {name!r}: expected one of cap_sys_admin, ...")
    return CAPABILITIES[key]


def effective_caps() -> int:
    """This process's effective capability set as a bit mask (``CapEff`` of /proc/self/status)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0


def drop_effective_caps(names: Iterable[str]) -> None:
    """Clear capabilities from this process's effective set (permitted is left alone)."""
    libc = _libc()
    header = _CapHeader(_CAP_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.syscall(_syscall_number(SYS_CAPGET, "capget"), ctypes.byref(header), data) != 0:
        raise BpfCommandError("capget", ctypes.get_errno())
    for name in names:
        number = capability_number(name)
        data[number // 32].effective &= ~(1 << (number % 32)) & 0xFFFFFFFF
    if libc.syscall(_syscall_number(SYS_CAPSET, "capset"), ctypes.byref(header), data) != 0:
        raise BpfCommandError("capset", ctypes.get_errno())


def run_without_caps(caps: Iterable[str], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``work()`` in a forked child whose effective set lacks ``caps``; return its dict.

    The result travels back as JSON over a pipe. The child never returns into the caller's code:
    it leaves with ``os._exit`` whatever happens, so no test runner or finaliser runs twice.
    An exception in the child comes back as a KfunclabError.
    """
    names = [name for name in caps]
    for name in names:
        capability_number(name)  # validate in the parent, where the error can be raised
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        status = 0
        try:
            os.close(read_fd)
            try:
                drop_effective_caps(names)
                payload: dict[str, Any] = {"ok": work()}
            except BaseException as exc:  # reported to the parent
                payload = {"exception": f"{type(exc).__name__}: {exc}"}
            with os.fdopen(write_fd, "wb") as out:
                out.write(json.dumps(payload).encode())
        except BaseException:  # pipe broke: parent sees no payload
            status = 1
        finally:
            os._exit(status)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe_in:
        raw = pipe_in.read()
    os.waitpid(pid, 0)
    if not raw:
        raise KfunclabError("capability-dropping child exited without a result")
    payload = json.loads(raw)
    if "exception" in payload:
        raise KfunclabError(f"capability-dropping child failed: {payload['exception']}")
    result: dict[str, Any] = payload["ok"]
    return result
