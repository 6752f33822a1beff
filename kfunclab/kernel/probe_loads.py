"""Does this kernel build load a program of each type (and each iterator target) at all?

Kernel builds leave things out: a kernel without ``CONFIG_BPF_LIRC_MODE2`` answers every
``lirc_mode2`` program with EINVAL before the verifier runs (``find_prog_type()``: the log stays
empty), and a build may refuse some iterator targets in ``check_attach_btf_id()`` without a
message (the log holds ``func#0 @0`` and the summary only). Upstream 6.18 source says neither.
This probe loads the smallest program, ``r0 = 0; exit``, once per program type and once per
iterator target of the kernel's BTF, and records the refusals; :mod:`kfunclab.kfuncs.live` turns
them into the ``live`` profile's ``load_refusals``. Every fd is closed at once.

It also asks which message a sleepable program gets for a map type it may not use
(``check_map_prog_compatibility()``): builds word it differently.

>>> classify_log("")
'empty'
>>> classify_log("func#0 @0\\nprocessed 0 insns (limit 1000000) max_states_per_insn 0\\n")
'silent'
"""

from __future__ import annotations

from typing import Any

from kfunclab.errors import BtfError, KfunclabError
from kfunclab.isa.parser import parse_program
from kfunclab.kernel import bpf
from kfunclab.kernel.link import section_attrs
from kfunclab.kernel.verdict import kernel_verdict

#: one section per program type for the load probe; LSM, EXT and STRUCT_OPS need a target
#: program or map, and trampolines have their own switch (progtypes.TRAMPOLINE_LOAD_ERRNO)
LOAD_SECTIONS: dict[str, str] = {
    "BPF_PROG_TYPE_SOCKET_FILTER": "socket",
    "BPF_PROG_TYPE_KPROBE": "kprobe/do_nanosleep",
    "BPF_PROG_TYPE_SCHED_CLS": "tc",
    "BPF_PROG_TYPE_SCHED_ACT": "action",
    "BPF_PROG_TYPE_TRACEPOINT": "tracepoint/syscalls/sys_enter_nanosleep",
    "BPF_PROG_TYPE_XDP": "xdp",
    "BPF_PROG_TYPE_PERF_EVENT": "perf_event",
    "BPF_PROG_TYPE_CGROUP_SKB": "cgroup_skb/ingress",
    "BPF_PROG_TYPE_CGROUP_SOCK": "cgroup/sock_create",
    "BPF_PROG_TYPE_LWT_IN": "lwt_in",
    "BPF_PROG_TYPE_LWT_OUT": "lwt_out",
    "BPF_PROG_TYPE_LWT_XMIT": "lwt_xmit",
    "BPF_PROG_TYPE_LWT_SEG6LOCAL": "lwt_seg6local",
    "BPF_PROG_TYPE_SOCK_OPS": "sockops",
    "BPF_PROG_TYPE_SK_SKB": "sk_skb",
    "BPF_PROG_TYPE_CGROUP_DEVICE": "cgroup/dev",
    "BPF_PROG_TYPE_SK_MSG": "sk_msg",
    "BPF_PROG_TYPE_RAW_TRACEPOINT": "raw_tp/sys_enter",
    "BPF_PROG_TYPE_CGROUP_SOCK_ADDR": "cgroup/connect4",
    "BPF_PROG_TYPE_LIRC_MODE2": "lirc_mode2",
    "BPF_PROG_TYPE_SK_REUSEPORT": "sk_reuseport",
    "BPF_PROG_TYPE_FLOW_DISSECTOR": "flow_dissector",
    "BPF_PROG_TYPE_CGROUP_SYSCTL": "cgroup/sysctl",
    "BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE": "raw_tp.w/sys_enter",
    "BPF_PROG_TYPE_CGROUP_SOCKOPT": "cgroup/getsockopt",
    "BPF_PROG_TYPE_TRACING": "tp_btf/task_newtask",
    "BPF_PROG_TYPE_SK_LOOKUP": "sk_lookup",
    "BPF_PROG_TYPE_SYSCALL": "syscall",
    "BPF_PROG_TYPE_NETFILTER": "netfilter",
}

_EXIT = bytes.fromhex("b700000000000000" "9500000000000000")  # r0 = 0; exit
_SUMMARY = "processed "


def classify_log(log: str) -> str:
    """How a refused load's log (asked at level 2) reads: ``empty`` (refused before the
    verifier started, ``bpf_prog_load()``), ``silent`` (refused inside it without a message: at
    most ``func#0 @0`` before the summary) or ``message``."""
    lines = [ln for ln in log.splitlines() if ln and not ln.startswith(_SUMMARY)]
    if not log.strip():
        return "empty"
    return "silent" if lines in ([], ["func#0 @0"]) else "message"


def iter_targets(btf: Any) -> list[str]:
    """The iterator targets of the kernel's BTF: ``DEFINE_BPF_ITER_FUNC(T, ...)`` leaves a FUNC
    ``bpf_iter_T``, and each target has its context struct ``bpf_iter__T`` (open-coded
    iterator kfuncs such as ``bpf_iter_num_new`` have no such struct)."""
    out = []
    for type_id in range(1, len(btf)):
        try:
            name = btf.name(type_id)
        except BtfError:  # a snapshot's left-out id
            continue
        if name.startswith("bpf_iter_") and not name.startswith("bpf_iter__") \
                and btf.kind_name(type_id) == "FUNC":
            target = name.removeprefix("bpf_iter_")
            if btf.find(f"bpf_iter__{target}", "STRUCT"):
                out.append(target)
    return sorted(set(out))


def _load_once(section: str, btf: Any) -> dict[str, Any]:
    try:
        prog_type, attach, btf_id, flags = section_attrs(section, btf)
    except KfunclabError as exc:
        return {"section": section, "loads": None, "why": str(exc)}
    res = bpf.prog_load(_EXIT, prog_type=prog_type, expected_attach_type=attach,
                        attach_btf_id=btf_id, prog_flags=flags, license="GPL", log_level=2,
                        log_size=1 << 16)
    if res.accepted:
        return {"section": section, "loads": True}
    form = classify_log(res.log)
    answer: dict[str, Any] = {"section": section, "loads": False, "errno": res.errno,
                              "errno_name": bpf.errno_name(res.errno), "log": form}
    if form == "message":
        lines = [ln for ln in res.log.splitlines() if ln and not ln.startswith(_SUMMARY)]
        answer["message"] = lines[-1]
    return answer


def probe_loads(btf: Any) -> dict[str, dict[str, Any]]:
    """Whether ``r0 = 0; exit`` loads, per program type (``BPF_PROG_TYPE_*`` keys) and per
    iterator target (``iter/T`` keys): ``loads`` True/False (None: not asked, ``why``), and for
    a refusal its ``errno`` and ``log`` form (:func:`classify_log`)."""
    out = {ptype: _load_once(section, btf) for ptype, section in LOAD_SECTIONS.items()}
    for target in iter_targets(btf):
        out[f"iter/{target}"] = _load_once(f"iter/{target}", btf)
    return out


#: check_map_prog_compatibility()'s wording in 6.18 source (the verifier's message table is a
#: layer above; tests check the two agree)
UPSTREAM_SLEEPABLE_MAP_MESSAGE = ("Sleepable programs can only use array, hash, ringbuf and "
                                  "local storage maps")
#: a sleepable program with a map type check_map_prog_compatibility() refuses it (upstream:
#: "Sleepable programs can only use array, hash, ringbuf and local storage maps")
_SLEEPABLE_PROG_ARRAY = """# SEC("{section}")
# MAP: jumps prog_array key=u32 value=u32 max_entries=1
\tr1 = jumps ll
\tr0 = 0
\texit
"""


def probe_sleepable_maps(btf: Any) -> dict[str, Any]:
    """The kernel's first-error line for a sleepable program that loads a prog_array map
    (``kernel_said``; None: accepted), from the first sleepable section this kernel loads."""
    for section in ("syscall", "iter.s/task"):
        answer = kernel_verdict(parse_program(_SLEEPABLE_PROG_ARRAY.format(section=section),
                                              "<probe>"), btf)
        if answer.verdict == "error" or (answer.error or "").startswith(("errno ", "func#0")):
            continue  # not asked, or the section itself is refused here
        return {"section": section, "map_type": "prog_array", "kernel_said": answer.error}
    return {"kernel_said": None, "not_asked": "no sleepable section loads here"}


def load_diff_lines(findings: dict[str, Any]) -> list[str]:
    """What the load probe found refused, in words (upstream 6.18 source loads them all), and
    the sleepable-map message where its wording is not upstream's.

    >>> load_diff_lines({"loads": {"iter/sockmap": {"section": "iter/sockmap", "loads": False,
    ...                  "errno": 1, "errno_name": "EPERM", "log": "silent"}}})
    ['SEC("iter/sockmap") programs are refused here, even `r0 = 0; exit` (errno 1 EPERM, no \
message); upstream 6.18 loads them']
    """
    out = []
    for _key, answer in sorted(findings.get("loads", {}).items()):
        if not isinstance(answer, dict) or answer.get("loads") is not False:
            continue
        how = {"empty": "empty log: before verification", "silent": "no message"}.get(
            str(answer.get("log")), f"'{answer.get('message', '')}'")
        out.append(f'SEC("{answer.get("section")}") programs are refused here, even '
                   f"`r0 = 0; exit` (errno {answer.get('errno')} {answer.get('errno_name')}, "
                   f"{how}); upstream 6.18 loads them")
    said = findings.get("sleepable_maps", {}).get("kernel_said")
    if isinstance(said, str) and said != UPSTREAM_SLEEPABLE_MAP_MESSAGE:
        out.append(f"a sleepable program with a prog_array map is refused with '{said}'; "
                   f"upstream 6.18 says '{UPSTREAM_SLEEPABLE_MAP_MESSAGE}'")
    return out
