"""The ``live`` profile: what the running kernel answered to kfunclab's probes, as a Profile.

Kernel *builds* differ, not only releases: type and kfunc ids, and behaviour too (one 6.18.44
build demands trusted pointers for kfuncs that upstream 6.18 lets take any pointer).
``kfunclab probe`` (:mod:`kfunclab.kernel.probe`) asks the running kernel a battery of small
programs and stores the answers as JSON in a cache, one file per kernel release and BTF checksum.
This module only reads that data and turns it into a :class:`~kfunclab.kfuncs.profiles.Profile`:
the nearest named profile, changed where the probes found otherwise.

>>> findings = {"format": FORMAT, "kernel_release": "6.18.44-x", "base": "linux-6.18",
...             "switches": {"trusted_args_default": {"value": True, "evidence": "..."}}}
>>> live = profile_from_findings(findings)
>>> live.name, live.trusted_args_default, live.kernel_release
('live', True, '6.18.44-x')
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from kfunclab.errors import CatalogError
from kfunclab.kfuncs.profiles import PROFILES, Profile

#: the program types kfunclab.kernel.probe never loads (its NOT_PROBED_TYPES: they need an
#: attach target, or the kernel refuses them before verification)
NOT_PROBED_TYPES = frozenset({"BPF_PROG_TYPE_LSM", "BPF_PROG_TYPE_EXT",
                              "BPF_PROG_TYPE_STRUCT_OPS", "BPF_PROG_TYPE_LIRC_MODE2"})

FORMAT = 1
VMLINUX_BTF = "/sys/kernel/btf/vmlinux"
#: the switches a probe may set, and the Profile field each one sets
SWITCHES = {
    "trusted_args_default": "trusted_args_default",
    "trusted_struct_args": "trusted_struct_args",
    "opt_exempts_null_check": "opt_exempts_null_check",
    "dynptr_slice_rdwr_refused": "dynptr_slice_rdwr_refused",
}


def cache_dir() -> Path:
    """Where probed profiles are kept: ``$KFUNCLAB_CACHE``, else ``$XDG_CACHE_HOME/kfunclab``,
    else ``~/.cache/kfunclab``."""
    explicit = os.environ.get("KFUNCLAB_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kfunclab"


def kernel_identity(btf_path: str = VMLINUX_BTF) -> tuple[str, str]:
    """``(release, sha256 of the BTF)`` of the running kernel: what a probed profile is for.

    Two builds of one release differ in their BTF, so the checksum is part of the key.
    """
    try:
        digest = hashlib.sha256(Path(btf_path).read_bytes()).hexdigest()
    except OSError as exc:
        raise CatalogError(f"no live profile: cannot read {btf_path} ({exc.strerror})") from None
    return os.uname().release, digest


def findings_path(release: str, btf_sha256: str) -> Path:
    """The cache file of one kernel build's probe answers."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in release)
    return cache_dir() / f"live-{safe}-{btf_sha256[:16]}.json"


def _types(value: Any, what: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogError(f"live profile: {what} must be a list of program type names")
    return frozenset(value)


def profile_from_findings(data: Any) -> Profile:
    """The ``live`` Profile that probe answers ``data`` (the cache file's JSON) describe."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CatalogError(f"live profile: expected a JSON object of format {FORMAT} (made by "
                           "`kfunclab probe`); run `kfunclab probe --refresh`")
    base_name = data.get("base", "linux-6.18")
    base = PROFILES.get(base_name) if isinstance(base_name, str) else None
    if base is None:
        raise CatalogError(f"live profile: unknown base profile {base_name!r}")
    changes: dict[str, Any] = {}
    probed: list[str] = []
    switches = data.get("switches", {})
    if not isinstance(switches, dict):
        raise CatalogError("live profile: 'switches' must be an object")
    for key, answer in switches.items():
        if key not in SWITCHES or not isinstance(answer, dict):
            continue
        value = answer.get("value")
        if isinstance(value, bool):
            changes[SWITCHES[key]] = value
            probed.append(f"{key} = {value}: {answer.get('evidence', '')}".rstrip(": "))
    helpers = data.get("helpers")
    if isinstance(helpers, dict) and helpers:
        by_helper: dict[str, set[str]] = {}
        for ptype, names in helpers.items():
            for name in _types(names, f"helpers[{ptype}]"):
                by_helper.setdefault(name, set()).add(ptype)
        changes["helper_prog_types"] = tuple(sorted((n, frozenset(t))
                                                    for n, t in by_helper.items()))
        changes["helper_probed_types"] = frozenset(helpers)
        probed.append(f"helper availability for {len(helpers)} program types")
    kfuncs = data.get("kfuncs")
    if isinstance(kfuncs, dict) and kfuncs:
        visible, sleepable = [], []
        for name, info in sorted(kfuncs.items()):
            if not isinstance(info, dict):
                raise CatalogError(f"live profile: kfuncs[{name!r}] must be an object")
            if info.get("conditional"):
                continue  # a bare call could not show its visibility: the catalogue decides
            visible.append((name, _types(info.get("prog_types", []),
                                         f"kfuncs[{name!r}].prog_types")))
            if isinstance(info.get("sleepable"), bool):
                sleepable.append((name, info["sleepable"]))
        changes["kfunc_prog_types"] = tuple(visible)
        changes["kfunc_unprobed_types"] = NOT_PROBED_TYPES
        changes["kfunc_sleepable"] = tuple(sleepable)
        probed.append(f"visibility of {len(visible)} kfuncs per program type")
    changes.update(_load_answers(data, probed))
    release = str(data.get("kernel_release", ""))
    assumed = data.get("assumed", [])
    assumptions = (*base.assumptions, *(str(a) for a in assumed if isinstance(a, str)))
    return dataclasses.replace(
        base, name="live", kernel=base.kernel,
        description=f"the running kernel {release}, probed (base: {base.name})",
        kernel_release=release, probed=tuple(probed), assumptions=assumptions, **changes)


def _load_answers(data: dict[str, Any], probed: list[str]) -> dict[str, Any]:
    """The Profile fields of kfunclab.kernel.probe_loads' answers: the minimal loads the kernel
    refused with an empty or message-less log, and its sleepable-map message."""
    changes: dict[str, Any] = {}
    loads = data.get("loads")
    if isinstance(loads, dict):
        refusals = []
        for key, answer in sorted(loads.items()):
            if not isinstance(answer, dict) or answer.get("loads") is not False:
                continue
            err, form = answer.get("errno"), answer.get("log")
            if isinstance(err, int) and form in ("empty", "silent"):
                refusals.append((str(key), err, str(form)))
        changes["load_refusals"] = tuple(refusals)
        probed.append(f"minimal loads of {len(loads)} program types and iterator targets "
                      f"({len(refusals)} refused)")
    sleepable = data.get("sleepable_maps")
    if isinstance(sleepable, dict) and isinstance(sleepable.get("kernel_said"), str):
        changes["sleepable_map_message"] = sleepable["kernel_said"]
    return changes


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> Profile:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise CatalogError(f"live profile {path}: cannot read it ({exc}); run "
                           "`kfunclab probe --refresh`") from None
    return profile_from_findings(data)


def load_live_profile(path: str | Path | None = None) -> Profile:
    """The running kernel's probed profile, from the cache (or ``path``).

    Raises :class:`CatalogError` when no probe has been made for this kernel build: the
    command ``kfunclab probe`` (root) makes one, in a few seconds.
    """
    if path is None:
        release, digest = kernel_identity()
        path = findings_path(release, digest)
        if not path.exists():
            raise CatalogError(f"no live profile for kernel {release} yet: run `kfunclab probe` "
                               "(as root: it loads small programs, never attaches them)")
    path = Path(path)
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise CatalogError(f"live profile {path}: {exc.strerror}") from None
    return _load(str(path), mtime)
