#!/usr/bin/env python3
"""Check the linux-6.18 kfunc catalogue against the running kernel.

For every catalogue row present in this kernel and every section below, write a two-instruction
program that calls the kfunc (arguments do not matter: ``btf_kfunc_id_set_contains()`` runs
before any argument is looked at) and ask /work/shared/tools/kernel-verdict. The kernel either
says "calling kernel function X is not allowed" (not visible to that program type) or anything
else (visible). Where visible from a non-sleepable program, "program must be sleepable to call
sleepable kfunc X" tells whether the kfunc is KF_SLEEPABLE. For kfuncs taking only scalars and
returning a struct pointer, two more programs check KF_ACQUIRE (reference leak at exit) and
KF_RET_NULL (dereference without a NULL check).

Programs are only loaded for verification: never attached or run.

    .venv/bin/python scripts/check_catalog_live.py [--catalog linux-6.18] [--jobs 4] [-v]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from kfunclab.kfuncs import KF, Catalog, Kfunc, ProgContext, load_catalog

KERNEL_VERDICT = Path(os.environ.get("KERNEL_VERDICT", "/work/shared/tools/kernel-verdict"))


@dataclass(frozen=True)
class Section:
    sec: str
    prog: ProgContext


def _p(t: str, attach: str | None = None, target: str | None = None,
       sleepable: bool = False) -> ProgContext:
    return ProgContext(f"BPF_PROG_TYPE_{t}", attach, target, sleepable)


#: libbpf section -> what the kernel sees (as libbpf sets it up; see program-format.md).
SECTIONS: tuple[Section, ...] = tuple(Section(s, p) for s, p in (
    ("syscall", _p("SYSCALL", sleepable=True)),
    ("tc", _p("SCHED_CLS")),
    ("action", _p("SCHED_ACT")),
    ("xdp", _p("XDP")),
    ("socket", _p("SOCKET_FILTER")),
    ("kprobe/do_nanosleep", _p("KPROBE")),
    ("kprobe.session/do_nanosleep", _p("KPROBE", "BPF_TRACE_KPROBE_SESSION")),
    ("perf_event", _p("PERF_EVENT")),
    ("tp_btf/sched_switch", _p("TRACING", "BPF_TRACE_RAW_TP", "btf_trace_sched_switch")),
    ("iter/tcp", _p("TRACING", "BPF_TRACE_ITER", "bpf_iter_tcp")),
    ("iter.s/task", _p("TRACING", "BPF_TRACE_ITER", "bpf_iter_task", sleepable=True)),
    ("raw_tp/sched_switch", _p("RAW_TRACEPOINT")),
    ("tracepoint/syscalls/sys_enter_nanosleep", _p("TRACEPOINT")),
    ("cgroup_skb/ingress", _p("CGROUP_SKB")),
    ("cgroup/sock_create", _p("CGROUP_SOCK")),
    ("cgroup/sysctl", _p("CGROUP_SYSCTL")),
    ("sockops", _p("SOCK_OPS")),
    ("sk_skb", _p("SK_SKB")),
    ("sk_msg", _p("SK_MSG")),
    ("lwt_in", _p("LWT_IN")),
    ("lwt_xmit", _p("LWT_XMIT")),
    ("netfilter", _p("NETFILTER")),
    ("flow_dissector", _p("FLOW_DISSECTOR")),
    ("sk_lookup", _p("SK_LOOKUP")),
    ("lsm.s/file_open", _p("LSM", "BPF_LSM_MAC", "bpf_lsm_file_open", sleepable=True)),
))

NOT_ALLOWED = "calling kernel function {} is not allowed"
NOT_SLEEPABLE = "program must be sleepable to call sleepable kfunc"
#: add_kfunc_call() refuses XDP metadata kfuncs before looking at registrations.
REFUSED_EARLIER = ("metadata kfuncs require device-bound program",)


def _fname(sec: str) -> str:
    return sec.replace("/", "_").replace(".", "_")


def _program(sec: str, body: list[str], comment: str) -> str:
    return "\n".join([f'# SEC("{sec}")', f"# {comment}", *(f"\t{i}" for i in body), ""])


def write_programs(cat: Catalog, root: Path, groups: int) -> dict[str, tuple[str, str, str]]:
    """Write the probe programs under root/g<N>/ (one kernel-verdict batch per group).

    Returns relative path (inside its group) -> (test, kfunc, section).
    """
    jobs: dict[str, tuple[str, str, str]] = {}

    def put(index: int, rel: str, text: str, info: tuple[str, str, str]) -> None:
        path = root / f"g{index % groups}" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        jobs[rel] = info

    for index, row in enumerate(cat):
        if not row.present:
            continue
        for s in SECTIONS:
            put(index, f"vis/{row.name}/{_fname(s.sec)}.s",
                _program(s.sec, [f"call {row.name}", "r0 = 0", "exit"],
                         f"is {row.name} visible here?"), ("visible", row.name, s.sec))
        k = cat.registry.find(row.name)
        if k is None or not _scalar_only(k) or not k.ret.pointee_struct:
            continue
        sec = next((s.sec for s in SECTIONS if cat.lookup(row.name, s.prog) is not None), None)
        if sec is None:
            continue
        args = [f"r{i + 1} = 1" for i in range(len(k.params))]
        for test, tail in (("acquire", ["r0 = 0", "exit"]),
                           ("ret_null", ["r0 = *(u64 *)(r0 + 0)", "r0 = 0", "exit"])):
            put(index, f"{test}/{row.name}.s",
                _program(sec, [*args, f"call {row.name}", *tail], f"{test} probe of {row.name}"),
                (test, row.name, sec))
    return jobs


def _scalar_only(k: Kfunc) -> bool:
    return all(p.ctype.is_scalar for p in k.params)


def run_batches(root: Path) -> dict[str, dict]:
    """kernel-verdict --batch on every group directory, in parallel."""
    procs = []
    for group in sorted(root.glob("g*")):
        out = root / f"{group.name}.json"
        procs.append((subprocess.Popen([str(KERNEL_VERDICT), "--batch", str(group), "--out",
                                        str(out)], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE, text=True), out))
    results: dict[str, dict] = {}
    for proc, out in procs:
        _, err = proc.communicate()
        if not out.exists():
            sys.exit(f"kernel-verdict failed: {err.strip()[-400:]}")
        results.update(json.loads(out.read_text()))
    return results


def classify(res: dict, name: str) -> str:
    """'hidden', 'visible' or 'unknown' (the program type could not be loaded here, or the
    kernel refused the call before consulting the registrations)."""
    error = res.get("error") or ""
    if res.get("verdict") == "error":
        return "unknown"
    if NOT_ALLOWED.format(name) in error:
        return "hidden"
    if any(m in error for m in REFUSED_EARLIER):
        return "unknown"
    if res.get("verdict") == "reject" and "empty verifier log" in error:
        return "unknown"
    return "visible"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--catalog", default="linux-6.18")
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("-v", "--verbose", action="store_true", help="print every probe")
    ap.add_argument("--keep", action="store_true", help="keep the probe directory")
    args = ap.parse_args()
    if os.geteuid() != 0 or not Path("/sys/kernel/btf/vmlinux").exists():
        print("needs root and /sys/kernel/btf/vmlinux", file=sys.stderr)
        return 2
    cat = load_catalog(args.catalog)
    tmp = Path(tempfile.mkdtemp(prefix="kfunc-live-"))
    jobs = write_programs(cat, tmp, max(1, args.jobs))
    results = run_batches(tmp)
    counts: Counter[str] = Counter()
    problems: list[str] = []
    prog_of = {s.sec: s.prog for s in SECTIONS}
    for rel, (test, name, sec) in sorted(jobs.items(), key=lambda kv: kv[1]):
        res = results.get(rel)
        if res is None:
            problems.append(f"{name} @ {sec}: no result")
            continue
        error = res.get("error") or ""
        k = cat.lookup(name, prog_of[sec])
        if test == "visible":
            actual = classify(res, name)
            if actual == "unknown":
                counts["visibility unknown"] += 1
                continue
            expected = "visible" if k is not None else "hidden"
            counts["visibility checked"] += 1
            counts[f"visibility checked, kernel says {actual}"] += 1
            if actual != expected:
                problems.append(f"VISIBILITY {name} @ {sec}: catalogue says {expected}, kernel "
                                f"{actual} ({error})")
            if actual == "visible" and k is not None and not prog_of[sec].sleepable:
                counts["sleepable checked"] += 1
                said = NOT_SLEEPABLE in error
                counts["sleepable checked, kernel says sleepable"] += said
                if said != (KF.SLEEPABLE in k.flags):
                    problems.append(f"SLEEPABLE {name} @ {sec}: catalogue flags "
                                    f"{k.flags_text}, kernel: {error}")
        elif k is not None:
            flag = KF.ACQUIRE if test == "acquire" else KF.RET_NULL
            said = ("reference leak" in error or "Unreleased reference" in error) \
                if test == "acquire" else "or_null" in error
            counts[f"{test} checked"] += 1
            counts[f"{test} checked, kernel says {flag.kernel_name}"] += said
            if said != (flag in k.flags):
                problems.append(f"{test.upper()} {name} @ {sec}: catalogue flags "
                                f"{k.flags_text}, kernel: {error}")
        if args.verbose:
            print(f"{test:8} {name:40} {sec:40} {error}")
    absent = [r.name for r in cat if not r.present]
    print(f"catalogue {cat.name}: {len(cat)} rows, {len(cat) - len(absent)} present in this "
          f"kernel, {len(absent)} modelled only ({', '.join(absent)})")
    print(f"sections: {len(SECTIONS)}; probes: {len(jobs)}")
    for key in sorted(counts):
        print(f"  {key}: {counts[key]}")
    print(f"disagreements: {len(problems)}")
    for p in problems:
        print("  " + p)
    if not args.keep:
        subprocess.run(["rm", "-rf", str(tmp)], check=False)
    else:
        print(f"probes kept in {tmp}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
