"""Which helpers kfunclab checks, and why the rest are ``unsupported``: a survey.

For every helper of ``kfunclab/data/helper-protos.json`` and every program type whose
``get_func_proto()`` table the data says returns it, this writes a minimal program that calls
the helper (arguments set up from its prototype: stack memory for ``ARG_PTR_TO_MEM``, a map of
a type the helper takes for ``ARG_CONST_MAP_PTR``, the context for ``ARG_PTR_TO_CTX``, 8 for a
size ...) and verifies it offline (profile ``linux-6.18``, bundled BTF, no kernel asked). A
rejection is an answer (the setup may be wrong for the helper: that is still a check); only
``unsupported`` means kfunclab could not answer. It prints the helpers checked everywhere, and
the unsupported reasons with their counts.

    python scripts/helper_coverage.py [--json OUT] [--helper bpf_x] [--kernel]

``--kernel`` also loads every program into the running kernel (verification only) and lists
where kfunclab, under the ``live`` profile and BTF, answers otherwise (an accept the kernel
refuses first: those would be unsound).

Run from the repository root (the package imports from the current directory).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kfunclab.verifier import verify_text
from kfunclab.verifier.helper_specs import ArgSpec, HelperSpec, helper_specs

#: one section per program type the tables name (attach targets this machine's BTF has)
SECTIONS = {
    "socket_filter": "socket", "kprobe": "kprobe/do_nanosleep", "sched_cls": "tc",
    "sched_act": "action", "tracepoint": "tracepoint/syscalls/sys_enter_nanosleep",
    "xdp": "xdp", "perf_event": "perf_event", "cgroup_skb": "cgroup/skb",
    "cgroup_sock": "cgroup/sock", "lwt_in": "lwt_in", "lwt_out": "lwt_out",
    "lwt_xmit": "lwt_xmit", "sock_ops": "sockops", "sk_skb": "sk_skb",
    "cgroup_device": "cgroup/dev",
    "sk_msg": "sk_msg", "raw_tracepoint": "raw_tp/sys_enter",
    "cgroup_sock_addr": "cgroup/connect4", "lwt_seg6local": "lwt_seg6local",
    "lirc_mode2": "lirc_mode2", "sk_reuseport": "sk_reuseport",
    "flow_dissector": "flow_dissector", "cgroup_sysctl": "cgroup/sysctl",
    "raw_tracepoint_writable": "raw_tp.w/sys_enter", "cgroup_sockopt": "cgroup/getsockopt",
    "tracing": "fentry/do_nanosleep", "lsm": "lsm/file_open", "sk_lookup": "sk_lookup",
    "syscall": "syscall", "netfilter": "netfilter",
}
#: a map of each type the helpers take: (key, value) as a # MAP: line writes them
_MAP_KV = {"ringbuf": None, "user_ringbuf": None, "stack_trace": ("u32", "u64"),
           "perf_event_array": ("u32", "u32"), "prog_array": ("u32", "u32"),
           "cgroup_array": ("u32", "u32"), "devmap": ("u32", "u32"), "devmap_hash": ("u32", "u32"),
           "cpumap": ("u32", "u32"), "xskmap": ("u32", "u32"), "sockmap": ("u32", "u64"),
           "sockhash": ("u32", "u64"), "reuseport_sockarray": ("u32", "u64"),
           "queue": None, "stack": None, "bloom_filter": None,
           "sk_storage": ("int", "u64"), "inode_storage": ("int", "u64"),
           "task_storage": ("int", "u64"), "cgrp_storage": ("int", "u64"),
           "cgroup_storage": ("\"struct ck { u64 id; u32 type; }\"", "u64"),
           "percpu_cgroup_storage": ("\"struct ck { u64 id; u32 type; }\"", "u64")}


def _map_line(map_type: str) -> str:
    kv = _MAP_KV.get(map_type, ("u32", "u64"))
    if kv is None:
        return f"# MAP: m {map_type} key=u32 value=u64 max_entries=4096"
    flags = " flags=1" if map_type.endswith("_storage") and map_type not in (
        "cgroup_storage", "percpu_cgroup_storage") else ""
    return f"# MAP: m {map_type} key={kv[0]} value={kv[1]} max_entries=4{flags}"


def _setup(regno: int, arg: ArgSpec, spec: HelperSpec) -> list[str]:
    t = arg.type
    r = f"r{regno}"
    if t in ("ARG_CONST_SIZE", "ARG_CONST_SIZE_OR_ZERO", "ARG_CONST_ALLOC_SIZE_OR_ZERO"):
        return [f"{r} = 8"]
    if t == "ARG_PTR_TO_CTX":
        return [f"{r} = r6"]
    if t == "ARG_CONST_MAP_PTR":
        return [f"{r} = m ll"]
    if t in ("ARG_PTR_TO_MEM", "ARG_PTR_TO_MAP_KEY", "ARG_PTR_TO_MAP_VALUE",
             "ARG_PTR_TO_STACK", "ARG_PTR_TO_DYNPTR"):
        return [f"{r} = r10", f"{r} += -64"]
    if t in ("ARG_PTR_TO_BTF_ID", "ARG_PTR_TO_PERCPU_BTF_ID") and arg.btf_struct == "task_struct":
        return [f"{r} = r7"]
    if t in _SOCK_ARGS or arg.btf_struct in _SOCK_STRUCTS:
        return [f"{r} = r8"]
    return [f"{r} = 0"]


#: arguments a socket fits: the __sk_buff's sk (sock_common), or bpf_sk_fullsock()'s socket
_SOCK_ARGS = ("ARG_PTR_TO_SOCK_COMMON", "ARG_PTR_TO_BTF_ID_SOCK_COMMON", "ARG_PTR_TO_SOCKET")
_SOCK_STRUCTS = ("sock", "sock_common", "tcp_sock", "udp_sock", "tcp6_sock", "udp6_sock")
_SKB_TYPES = ("socket_filter", "sched_cls", "sched_act", "cgroup_skb", "lwt_in", "lwt_out",
              "lwt_xmit", "lwt_seg6local", "sk_skb")
_FULLSOCK_TYPES = ("sched_cls", "sched_act", "cgroup_skb")


def program(spec: HelperSpec, proto_index: int, prog_type: str) -> str:
    """A minimal program of ``prog_type`` that calls ``spec`` with plausible arguments."""
    proto = spec.protos[proto_index]
    map_type = spec.map_types[0] if spec.map_types else "hash"
    lines = [f'# SEC("{SECTIONS[prog_type]}")', _map_line(map_type), "\tr6 = r1",
             "\tr7 = 0", "\tr8 = 0",
             "\tr1 = 0"] + [f"\t*(u64 *)(r10 - {8 * i}) = r1" for i in range(1, 9)]
    wants_task = any(a.btf_struct == "task_struct" for a in proto.args)
    if wants_task:
        lines += ["\tcall bpf_get_current_task_btf", "\tr7 = r0"]
    wants_sock = any(a.type in _SOCK_ARGS or a.btf_struct in _SOCK_STRUCTS for a in proto.args)
    if wants_sock and prog_type in _SKB_TYPES:
        lines += ["\tr8 = *(u64 *)(r6 + 168)", "\tif r8 == 0 goto out"]
        if any(a.type == "ARG_PTR_TO_SOCKET" or a.btf_struct not in (None, "sock_common")
               for a in proto.args) and prog_type in _FULLSOCK_TYPES:
            lines += ["\tr1 = r8", "\tcall bpf_sk_fullsock", "\tif r0 == 0 goto out",
                      "\tr8 = r0"]
    for i, arg in enumerate(proto.args):
        lines += [f"\t{s}" for s in _setup(i + 1, arg, spec)]
    lines += [f"\tcall {spec.name}", "out:", "\tr0 = 0", "\texit"]
    return "\n".join(lines) + "\n"


_NUMS = re.compile(r"#\d+|\b\d+\b")


def survey(only: str | None = None) -> dict[str, dict[str, str]]:
    """helper -> program type -> ``accept`` / ``reject: ...`` / ``unsupported: ...``."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for name, spec in sorted(helper_specs().items()):
        if only and name != only:
            continue
        for pi, proto in enumerate(spec.protos):
            for pt, _cond in proto.prog_types:
                if pt in out[name] or pt not in SECTIONS:
                    continue
                try:
                    res = verify_text(program(spec, pi, pt), btf="bundled",
                                      profile="linux-6.18")
                except Exception as e:  # the survey reports, never stops
                    out[name][pt] = f"error: {type(e).__name__}: {e}"
                    continue
                v = res.verdict.value
                why = res.error.message if res.error else ""
                if v == "unsupported":
                    why = getattr(res, "unsupported_reason", None) or why
                out[name][pt] = v if v == "accept" else f"{v}: {why}"
    return out


def compare_with_kernel(only: str | None = None) -> list[tuple[str, str, str, str]]:
    """(helper, program type, kernel's answer, kfunclab's) where the two differ."""
    from kfunclab.isa.parser import parse_program
    from kfunclab.kernel import kernel_verdict

    out = []
    for name, spec in sorted(helper_specs().items()):
        if only and name != only:
            continue
        seen: set[str] = set()
        for pi, proto in enumerate(spec.protos):
            for pt, _cond in proto.prog_types:
                if pt in seen or pt not in SECTIONS or pt in ("tracing", "lsm"):
                    continue  # trampolines: this machine's kernel refuses them unverified
                seen.add(pt)
                text = program(spec, pi, pt)
                try:
                    k = kernel_verdict(parse_program(text))
                except Exception as e:  # the survey reports, never stops
                    out.append((name, pt, f"error: {e}", ""))
                    continue
                if k.verdict == "error":
                    continue
                r = verify_text(text, btf="live", profile="live")
                mine = r.verdict.value + (f": {r.error.message}" if r.error else "")
                theirs = k.verdict + (f": {k.error}" if k.error else "")
                if r.verdict.value != k.verdict or (k.error and r.error
                                                    and r.error.message != k.error):
                    out.append((name, pt, theirs, mine))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--helper")
    ap.add_argument("--kernel", action="store_true")
    args = ap.parse_args()
    if args.kernel:
        for h, pt, theirs, mine in compare_with_kernel(args.helper):
            print(f"{h} {pt}\n  kernel:   {theirs[:150]}\n  kfunclab: {mine[:150]}")
        return
    res = survey(args.helper)
    full = [h for h, pts in res.items() if not any(v.startswith(("unsupported", "error"))
                                                   for v in pts.values())]
    reasons: Counter[str] = Counter()
    for h, pts in res.items():
        for v in pts.values():
            if v.startswith(("unsupported", "error")):
                reasons[_NUMS.sub("N", v.replace(h, "HELPER"))] += 1
    pairs = sum(len(p) for p in res.values())
    unsup = sum(reasons.values())
    print(f"helpers checked for every program type: {len(full)} of {len(res)}")
    print(f"(helper, program type) pairs: {pairs}, unsupported {unsup}")
    for h, pts in sorted(res.items()):
        bad = {pt: v for pt, v in pts.items() if v.startswith(("unsupported", "error"))}
        if bad:
            first = next(iter(bad.values()))
            print(f"  {h}: {len(bad)}/{len(pts)} program types: {first[:150]}")
    print("reasons:")
    for why, n in reasons.most_common():
        print(f"  {n:4d}  {why[:160]}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
