"""Ask the running kernel what it does, and keep the answers as the ``live`` profile.

``kfunclab probe`` loads small programs (load only: every fd is closed at once, nothing is
attached or run) and records what the verifier answered:

- **switches** of the model, one probe program each (e.g. does a kfunc *without*
  KF_TRUSTED_ARGS refuse an RCU pointer? upstream 6.18 accepts it);
- for every helper of ``enum bpf_func_id`` and every program type that can be loaded here,
  whether the type may call it (what ``bpftool feature probe`` does);
- for every kfunc of the kernel's BTF and those program types, whether it may be called, and
  whether it is KF_SLEEPABLE (the kernel checks that before any argument).

The answers go to a JSON file in the cache (:mod:`kfunclab.kfuncs.live` reads it), one per
kernel release and BTF checksum. What could not be probed is said in ``assumed``.

>>> sorted(PROBE_SECTIONS)[:2]
['BPF_PROG_TYPE_CGROUP_DEVICE', 'BPF_PROG_TYPE_CGROUP_SKB']
"""

from __future__ import annotations

import gzip
import json
import os
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kfunclab.errors import KfunclabError
from kfunclab.isa.parser import parse_program
from kfunclab.kernel import bpf
from kfunclab.kernel.link import section_attrs
from kfunclab.kernel.probe_loads import (
    LOAD_SECTIONS,
    load_diff_lines,
    probe_loads,
    probe_sleepable_maps,
)
from kfunclab.kernel.verdict import kernel_available, kernel_verdict, live_btf
from kfunclab.kfuncs.live import FORMAT, findings_path, kernel_identity

#: One libbpf section per program type: how the tables are asked. Types absent here (LSM,
#: EXT, STRUCT_OPS) need an attach target or are refused before verification.
PROBE_SECTIONS: dict[str, str] = {t: sec for t, sec in LOAD_SECTIONS.items()
                                  if t != "BPF_PROG_TYPE_LIRC_MODE2"}
#: (LIRC_MODE2's helpers and kfuncs are not asked either; whether it loads at all is:
#: kfunclab.kernel.probe_loads)
NOT_PROBED_TYPES = ("BPF_PROG_TYPE_LSM", "BPF_PROG_TYPE_EXT", "BPF_PROG_TYPE_STRUCT_OPS",
                    "BPF_PROG_TYPE_LIRC_MODE2")

_EXIT = bytes.fromhex("b700000000000000" "9500000000000000")  # r0 = 0; exit

#: kfuncs whose answer to a bare call depends on what else the program has: the probe's
#: "not allowed" (or its early refusal) says nothing about visibility, so the catalogue decides
CONDITIONAL_KFUNCS = (
    ("bpf_arena_", "callable only by a program that uses an arena map (the probe has none)"),
    ("bpf_xdp_metadata_", "refused before the visibility check unless the program is "
                          "device-bound (\"metadata kfuncs require device-bound program\")"),
)


@dataclass(frozen=True)
class SwitchProbe:
    """A program whose verdict decides one switch of the model.

    ``program`` builds the program text from the kernel's BTF (offsets by name), or returns
    None when this kernel lacks what it needs. ``answers`` maps the kernel's first-error line
    (None: accepted) to the switch's value; any other answer leaves the switch as the base
    profile has it, and says so.
    """

    switch: str
    question: str
    program: Callable[[Any], str | None]
    answers: dict[str | None, bool]
    upstream: bool  # what upstream v6.18 (the linux-6.18 profile) does
    meaning: str  # the difference, in words, when the kernel's answer differs from upstream


def _offset(btf: Any, struct_name: str, member: str) -> int | None:
    ids = btf.find(struct_name, "STRUCT")
    if not ids:
        return None
    for m in btf.struct_members(ids[0]):
        if m.name == member:
            return int(m.byte_offset)
    return None


def _flagless_rcu_program(btf: Any) -> str | None:
    cgroups = _offset(btf, "task_struct", "cgroups")
    dfl = _offset(btf, "css_set", "dfl_cgrp")
    if cgroups is None or dfl is None or not btf.find("css_rstat_updated", "FUNC"):
        return None
    return f"""# SEC("tp_btf/task_newtask")
	r1 = *(u64 *)(r1 + 0)
	r1 = *(u64 *)(r1 + {cgroups})
	r1 = *(u64 *)(r1 + {dfl})
	r2 = 0
	call css_rstat_updated
	r0 = 0
	exit
"""


def _struct_mem_program(btf: Any) -> str | None:
    if not btf.find("bpf_xdp_ct_lookup", "FUNC") or not btf.find("bpf_ct_release", "FUNC"):
        return None
    return """# SEC("tc")
	r1 = 0
	*(u64 *)(r10 - 48) = r1
	*(u64 *)(r10 - 40) = r1
	*(u64 *)(r10 - 32) = r1
	*(u64 *)(r10 - 24) = r1
	*(u64 *)(r10 - 16) = r1
	r1 = r10
	r1 += -48
	r2 = r10
	r2 += -48
	r3 = 12
	r4 = r10
	r4 += -16
	r5 = 16
	call bpf_xdp_ct_lookup
	if r0 == 0 goto out
	r1 = r0
	call bpf_ct_release
out:
	r0 = 0
	exit
"""


def _opt_null_program(btf: Any) -> str | None:
    if not btf.find("bpf_dynptr_slice", "FUNC") or not btf.find("bpf_dynptr_from_xdp", "FUNC"):
        return None
    return """# SEC("xdp")
	r2 = 0
	r3 = r10
	r3 += -16
	call bpf_dynptr_from_xdp
	r1 = r10
	r1 += -16
	r2 = 0
	r3 = 0
	r4 = 8
	call bpf_dynptr_slice
	r0 = 2
	exit
"""


def _slice_rdwr_program(btf: Any) -> str | None:
    if not btf.find("bpf_dynptr_slice_rdwr", "FUNC") or not btf.find("bpf_dynptr_from_skb",
                                                                      "FUNC"):
        return None
    return """# SEC("tc")
	r2 = 0
	*(u64 *)(r10 - 24) = r2
	r3 = r10
	r3 += -16
	call bpf_dynptr_from_skb
	r1 = r10
	r1 += -16
	r2 = 0
	r3 = r10
	r3 += -24
	r4 = 8
	call bpf_dynptr_slice_rdwr
	r0 = 0
	exit
"""


_NOT_TRUSTED = "R1 must be referenced or trusted"

SWITCH_PROBES = (
    SwitchProbe(
        "trusted_args_default",
        "does a kfunc without KF_TRUSTED_ARGS (css_rstat_updated) take an RCU pointer?",
        _flagless_rcu_program, {None: False, _NOT_TRUSTED: True}, upstream=False,
        meaning="kfuncs without KF_TRUSTED_ARGS still demand trusted pointer arguments here: "
                "css_rstat_updated refuses task->cgroups->dfl_cgrp (an RCU pointer) with "
                f"'{_NOT_TRUSTED}'; upstream 6.18 accepts it (7.0 makes trusted the default)"),
    SwitchProbe(
        "trusted_struct_args",
        "may a stack pointer stand for bpf_xdp_ct_lookup's struct xdp_md * argument?",
        _struct_mem_program, {None: False, _NOT_TRUSTED: True}, upstream=False,
        meaning="a pointer to a struct of scalars (bpf_xdp_ct_lookup's struct xdp_md *) must "
                f"be a trusted pointer here ('{_NOT_TRUSTED}' for a stack buffer or the tc "
                "ctx); upstream 6.18 reads such a struct as plain memory and takes the stack"),
    SwitchProbe(
        "opt_exempts_null_check",
        "may NULL stand for an __opt argument (bpf_dynptr_slice's buffer__opt)?",
        _opt_null_program, {None: True, "Possibly NULL pointer passed to trusted arg2": False},
        upstream=False,
        meaning="an __opt argument may be NULL even where arguments are trusted (as __nullable "
                "ones may); upstream 6.18 exempts only __nullable, but checks NULL only for "
                "KF_TRUSTED_ARGS kfuncs, which bpf_dynptr_slice is not"),
    SwitchProbe(
        "dynptr_slice_rdwr_refused",
        "may a tc program take a writable slice of its skb dynptr (bpf_dynptr_slice_rdwr)?",
        _slice_rdwr_program, {None: False, "bpf_dynptr_slice_rdwr() is not allowed": True},
        upstream=False,
        meaning="bpf_dynptr_slice_rdwr() is refused in every program ('bpf_dynptr_slice_rdwr() "
                "is not allowed', EPERM); upstream 6.18 gives packet writers (tc, xdp ...) a "
                "writable slice and others 'the prog does not allow writes to packet data'"),
)


def _fact_rdonly_cast(btf: Any) -> str | None:
    return ('# SEC("socket")\n\tr1 = 0\n\tr2 = bpf_core_type_id_kernel(typedef u32)\n'
            "\tcall bpf_rdonly_cast\n\tr0 = 0\n\texit\n") if btf.find("u32", "TYPEDEF") else None


#: behaviours probed to confirm the model (no switch: they hold for upstream 6.18 too)
FACT_PROBES = (
    ("bpf_rdonly_cast refuses a type id that is not a struct, union or void (a typedef)",
     _fact_rdonly_cast, "kfunc bpf_rdonly_cast type ID argument must be of a struct or void"),
)


def _load(insns: bytes, attrs: tuple[int, int, int, int]) -> bpf.ProgLoadResult:
    prog_type, attach, btf_id, flags = attrs
    return bpf.prog_load(insns, prog_type=prog_type, expected_attach_type=attach,
                         attach_btf_id=btf_id, prog_flags=flags, license="GPL", log_level=1,
                         log_size=1 << 16)


def _call(src: int, imm: int) -> bytes:
    return struct.pack("<BBhi", 0x85, src << 4, 0, imm)


def _table_probes(btf: Any) -> tuple[dict[str, list[str]], dict[str, dict[str, Any]],
                                     dict[str, str]]:
    """Helper and kfunc availability per loadable program type (and kfunc sleepability)."""
    helpers: dict[str, list[str]] = {}
    kfuncs: dict[str, dict[str, Any]] = {}
    refused: dict[str, str] = {}
    funcs = {k: v for k, v in btf.enum_values("bpf_func_id").items()
             if k != "BPF_FUNC_unspec" and not k.startswith("__")}
    kfunc_ids = {sig.name: sig.btf_id for sig in btf.kfuncs()}
    for name in kfunc_ids:
        kfuncs[name] = {"prog_types": [], "sleepable": None}
        why = next((w for prefix, w in CONDITIONAL_KFUNCS if name.startswith(prefix)), None)
        if why is not None:
            kfuncs[name]["conditional"] = why
    for ptype, section in PROBE_SECTIONS.items():
        try:
            attrs = section_attrs(section, btf)
        except KfunclabError as exc:
            refused[ptype] = f"{section}: {exc}"
            continue
        trial = _load(_EXIT, attrs)
        if not trial.accepted:
            refused[ptype] = (f"{section}: errno {trial.errno} ({bpf.errno_name(trial.errno)})"
                              + (", empty log: refused before verification"
                                 if not trial.log else ""))
            continue
        sleepable_type = bool(attrs[3] & 16)  # BPF_F_SLEEPABLE
        allowed = []
        for enum_name, func_id in funcs.items():
            log = _load(_call(0, func_id) + _EXIT, attrs).log
            if "cannot use helper" in log or "invalid func" in log or "unknown func" in log:
                continue
            allowed.append("bpf_" + enum_name.removeprefix("BPF_FUNC_"))
        helpers[ptype] = sorted(allowed)
        for name, btf_id in kfunc_ids.items():
            log = _load(_call(2, btf_id) + _EXIT, attrs).log
            if f"calling kernel function {name} is not allowed" in log:
                continue
            kfuncs[name]["prog_types"].append(ptype)
            if not sleepable_type:
                kfuncs[name]["sleepable"] = "must be sleepable to call sleepable kfunc" in log
    return helpers, kfuncs, refused


def _first_error(text: str | None, btf: Any) -> tuple[bool, str | None, str]:
    """Ask the kernel about a probe program: (could ask, first error or None, verdict)."""
    if text is None:
        return False, None, "not asked"
    answer = kernel_verdict(parse_program(text, "<probe>"), btf)
    if answer.verdict == "error":
        return False, None, answer.error or "error"
    return True, answer.error, answer.verdict


def probe_kernel() -> dict[str, Any]:
    """Run every probe against the running kernel; the findings as JSON-able data.

    Raises :class:`KfunclabError` where the kernel cannot be asked (not root, no BTF ...).
    """
    ok, why = kernel_available()
    if not ok:
        raise KfunclabError(f"cannot probe the running kernel: {why}")
    started = time.monotonic()
    btf = live_btf()
    release, digest = kernel_identity()
    switches: dict[str, Any] = {}
    assumed: list[str] = []
    for probe in SWITCH_PROBES:
        asked, error, verdict = _first_error(probe.program(btf), btf)
        if not asked:
            assumed.append(f"{probe.switch}: not probed ({verdict}); as linux-6.18")
            continue
        value = probe.answers.get(error)
        said = "accepted" if error is None else f"'{error}'"
        if value is None:
            assumed.append(f"{probe.switch}: the kernel answered {said}, which the probe does "
                           "not interpret; as linux-6.18")
            continue
        switches[probe.switch] = {"value": value, "upstream": probe.upstream,
                                  "question": probe.question, "kernel_said": said,
                                  "evidence": f"{probe.question} kernel: {said}",
                                  "meaning": probe.meaning}
    facts = []
    for question, build, expected in FACT_PROBES:
        asked, error, _ = _first_error(build(btf), btf)
        facts.append({"question": question, "holds": asked and error == expected,
                      "kernel_said": error if asked else "not asked"})
    helpers, kfuncs, refused = _table_probes(btf)
    assumed += [f"{t}: not probed ({why})" for t, why in sorted(refused.items())]
    assumed += [f"{t}: helpers and kfuncs not probed (needs an attach target or is refused "
                "before verification); as linux-6.18" for t in NOT_PROBED_TYPES]
    assumed += [f"{prefix}* kfuncs: visibility as the catalogue says ({why})"
                for prefix, why in CONDITIONAL_KFUNCS]
    assumed += ["KF_ACQUIRE, KF_RET_NULL, KF_RCU and KF_TRUSTED_ARGS of each kfunc: from the "
                "linux-6.18 catalogue (asking needs valid arguments of each kfunc's types)",
                "KF_DESTRUCTIVE: from the catalogue (this kernel's destructive kfuncs, if any, "
                "would need CAP_SYS_BOOT dropped to show)",
                "one section per program type: attach-type-specific helpers and kfunc filters "
                "(e.g. iterators, fentry-only kfuncs) are as the catalogue says"]
    type_ids = {name: btf.find(name, "STRUCT")[0] for name in _STRUCTS_SHOWN
                if btf.find(name, "STRUCT")}
    return {
        "format": FORMAT, "kernel_release": release, "btf_sha256": digest,
        "type_ids": type_ids, "kfunc_ids": {s.name: s.btf_id for s in btf.kfuncs()},
        "base": "linux-6.18", "probed_at": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "seconds": round(time.monotonic() - started, 2),
        "switches": switches, "facts": facts, "helpers": helpers, "kfuncs": kfuncs,
        "refused_types": refused, "assumed": assumed,
        "loads": probe_loads(btf), "sleepable_maps": probe_sleepable_maps(btf),
    }


def ensure_live_profile(refresh: bool = False) -> Path:
    """The cache file of this kernel's probe answers, probing first if there is none (or if
    it was written before a switch this kfunclab probes existed: its answer would be missing,
    and the model would take upstream's where this kernel may differ)."""
    release, digest = kernel_identity()
    path = findings_path(release, digest)
    if path.exists() and not refresh and _answers_every_switch(path):
        return path
    findings = probe_kernel()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(findings, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)  # atomic: a parallel run reads the old file or the new one, never half
    return path


def _answers_every_switch(path: Path) -> bool:
    """Does the cache file say something (a value, or why not) of every SWITCH_PROBES switch,
    and hold the load probe's answers?"""
    try:
        data = read_findings(path)
    except (OSError, ValueError):
        return True  # unreadable: load_live_profile() says so with its own message
    switches = data.get("switches") if isinstance(data, dict) else None
    assumed = data.get("assumed") if isinstance(data, dict) else None
    said = set(switches) if isinstance(switches, dict) else set()
    said |= {a.split(":")[0] for a in assumed if isinstance(a, str)} \
        if isinstance(assumed, list) else set()
    # findings from before the load probe (kfunclab.kernel.probe_loads) lack its keys
    return all(probe.switch in said for probe in SWITCH_PROBES) \
        and isinstance(data, dict) and "loads" in data and "sleepable_maps" in data


def read_findings(path: Path) -> dict[str, Any]:
    """A probe's findings (the cache file's JSON); ``.gz`` files are read too."""
    raw = path.read_bytes()
    data: dict[str, Any] = json.loads(gzip.decompress(raw) if path.suffix == ".gz" else raw)
    return data


#: findings of one probe of a patched 6.18.44 build, kept for machines that cannot probe
EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "live-example.json.gz"


def findings_here_or_example() -> tuple[dict[str, Any], bool]:
    """This kernel's findings (probing if needed) where it can be asked, else the stored
    example; the flag says which (True: this kernel)."""
    ok, _why = kernel_available()
    if ok:
        try:
            return read_findings(ensure_live_profile()), True
        except (KfunclabError, OSError):
            pass
    return read_findings(EXAMPLE), False


# --- what this kernel does differently, in words -----------------------------------------------

_STRUCTS_SHOWN = ("task_struct", "cgroup", "cpumask", "bpf_cpumask", "nf_conn", "sk_buff")


def _short(prog_type: str) -> str:
    return prog_type.removeprefix("BPF_PROG_TYPE_").lower()


def _type_id_lines(findings: dict[str, Any]) -> list[str]:
    from kfunclab.btf import load_btf

    bundled = load_btf("bundled")
    lines = []
    for name, here in findings.get("type_ids", {}).items():
        there = bundled.find(name, "STRUCT")
        if there and here != there[0]:
            lines.append(f"struct {name} is type id {here} here, {there[0]} in the bundled "
                         f"snapshot ({bundled.kernel_release})")
    ours: dict[str, int] = findings.get("kfunc_ids", {})
    theirs = {s.name: s.btf_id for s in bundled.kfuncs()}
    moved = sorted(n for n in ours.keys() & theirs.keys() if ours[n] != theirs[n])
    if moved:
        lines.append(f"{len(moved)} of {len(ours)} kfuncs have other BTF ids than in the "
                     f"bundled snapshot (e.g. {moved[0]} is #{ours[moved[0]]} here, "
                     f"#{theirs[moved[0]]} there): the log's call lines print them; write type "
                     "ids as bpf_core_type_id_kernel(struct X) so programs hold on any build")
    return lines


def _helper_lines(findings: dict[str, Any]) -> list[str]:
    from kfunclab.progtypes import ProgType
    from kfunclab.verifier.rules.helpers import model_helper_allowed, modelled_helpers

    more: dict[str, list[str]] = {}
    fewer: dict[str, list[str]] = {}
    for ptype, allowed in findings.get("helpers", {}).items():
        try:
            enum = ProgType[ptype.removeprefix("BPF_PROG_TYPE_")]
        except KeyError:
            continue
        for helper in sorted(modelled_helpers()):
            kernel = helper in allowed
            model = model_helper_allowed(enum, helper)
            if kernel and not model:
                more.setdefault(helper, []).append(_short(ptype))
            elif model and not kernel:
                fewer.setdefault(helper, []).append(_short(ptype))
    lines = [f"{h} may be called from {', '.join(t)} programs here; kfunclab's linux-6.18 "
             "table allows it only in tracing programs" for h, t in sorted(more.items())]
    lines += [f"{h} may not be called from {', '.join(t)} programs here; kfunclab's "
              "linux-6.18 table allows it" for h, t in sorted(fewer.items())]
    return lines


def _kfunc_lines(findings: dict[str, Any], base: str) -> list[str]:
    from kfunclab.kfuncs import ProgContext, load_catalog
    from kfunclab.kfuncs.flags import KF, format_flags
    from kfunclab.progtypes import program_type

    catalog = load_catalog(base)
    contexts = {}
    for ptype, section in PROBE_SECTIONS.items():
        pt = program_type(section)
        attach = pt.expected_attach_type.kernel_name if pt.expected_attach_type else None
        name = pt.attach_btf_name[0] if pt.attach_btf_name else None
        contexts[ptype] = ProgContext(ptype, attach, name, pt.sleepable)
    probed = set(findings.get("helpers", {}))
    gained: dict[str, list[str]] = {}
    lost: dict[str, list[str]] = {}
    sleep: list[str] = []
    for name, info in sorted(findings.get("kfuncs", {}).items()):
        if name not in catalog.rows or info.get("conditional"):
            continue
        here = set(info.get("prog_types", []))
        for ptype in sorted(probed):
            table = catalog.lookup(name, contexts[ptype]) is not None
            if (ptype in here) and not table:
                gained.setdefault(name, []).append(_short(ptype))
            elif table and ptype not in here:
                lost.setdefault(name, []).append(_short(ptype))
        kernel_sleepable = info.get("sleepable")
        row = catalog.rows[name]
        if kernel_sleepable is not None and kernel_sleepable != bool(row.flags & KF.SLEEPABLE):
            sleep.append(f"{name} is {'' if kernel_sleepable else 'not '}KF_SLEEPABLE here; "
                         f"the {base} catalogue says {format_flags(row.flags) or 'no flags'}")
    lines = [f"{k} may be called from {', '.join(t)} programs here, which the {base} "
             "catalogue's registrations do not allow" for k, t in gained.items()]
    lines += [f"{k} may not be called from {', '.join(t)} programs here, which the {base} "
              "catalogue allows" for k, t in lost.items()]
    return lines + sleep


def diff_lines(findings: dict[str, Any], base: str = "linux-6.18") -> list[str]:
    """What the probed kernel does differently from profile ``base``, one sentence a line."""
    out: list[str] = []
    for _name, answer in sorted(findings.get("switches", {}).items()):
        if answer.get("value") != answer.get("upstream"):
            out.append(answer.get("meaning", ""))
    out += _type_id_lines(findings)
    out += _helper_lines(findings)
    out += _kfunc_lines(findings, base)
    return out + load_diff_lines(findings)


def report(findings: dict[str, Any], base: str | None = None) -> str:
    """``kfunclab probe`` output: what was probed, what was assumed, and (``base``) the
    differences from a named profile."""
    helpers = findings.get("helpers", {})
    kfuncs = findings.get("kfuncs", {})
    lines = [f"kernel {findings.get('kernel_release')} (BTF sha256 "
             f"{str(findings.get('btf_sha256', ''))[:16]}), probed {findings.get('probed_at')} "
             f"in {findings.get('seconds')} s; base profile {findings.get('base')}",
             f"  {len(helpers)} program types asked about "
             f"{max((len(v) for v in helpers.values()), default=0)} helpers (most allowed) and "
             f"{len(kfuncs)} kfuncs"]
    for name, answer in sorted(findings.get("switches", {}).items()):
        lines.append(f"  {name} = {answer['value']}: {answer['question']} "
                     f"kernel: {answer['kernel_said']}")
    for fact in findings.get("facts", []):
        lines.append(f"  {'holds' if fact['holds'] else 'DIFFERS'}: {fact['question']}")
    if base is not None:
        diffs = diff_lines(findings, base)
        lines.append(f"What this kernel does differently from {base} ({len(diffs)}):")
        lines += [f"  - {d}" for d in diffs] or ["  (nothing the probes can see)"]
    lines.append("Assumed, not probed:")
    lines += [f"  - {a}" for a in findings.get("assumed", [])]
    return "\n".join(lines)
