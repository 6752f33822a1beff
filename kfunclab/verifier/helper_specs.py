"""Every helper's ``struct bpf_func_proto``, as data (``kfunclab/data/helper-protos.json``).

``scripts/gen_helper_protos.py`` writes the data from a kernel source tree: for each helper of
``enum bpf_func_id`` the prototypes the program types' ``get_func_proto()`` tables return (a
helper may have several: ``bpf_get_stack`` has one per tracing program type), each argument as
a base type and flags (``ARG_PTR_TO_MEM`` with ``MEM_RDONLY``), the return type, ``gpl_only``,
``might_sleep``; and the facts ``check_map_func_compatibility()``, ``is_acquire_function()`` and
``is_ptr_cast_function()`` hold about it.

>>> spec = helper_spec("bpf_sk_release")
>>> spec.id, spec.protos[0].args[0].type, spec.protos[0].args[0].flags
(86, 'ARG_PTR_TO_BTF_ID_SOCK_COMMON', ('OBJ_RELEASE',))
>>> [p.name for p in protos_for("bpf_get_stack", "tracepoint")]
['bpf_get_stack_proto_tp']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class ArgSpec:
    """One argument: ``ARG_PTR_TO_MEM`` and its flags (``MEM_RDONLY``, ``PTR_MAYBE_NULL`` ...)."""

    type: str
    flags: tuple[str, ...] = ()
    btf_struct: str | None = None  # argN_btf_id: the struct a PTR_TO_BTF_ID must be
    size: str | None = None  # argN_size (MEM_FIXED_SIZE), as the source writes it

    def has(self, flag: str) -> bool:
        return flag in self.flags


@dataclass(frozen=True, slots=True)
class ProtoSpec:
    """One ``struct bpf_func_proto`` and the program types whose table returns it."""

    name: str
    file: str
    ret: ArgSpec
    args: tuple[ArgSpec, ...]
    gpl_only: bool
    might_sleep: bool
    pkt_access: bool
    #: program type (``sched_cls``) -> conditions: ``conditional`` (an ``if``/``?:`` decides),
    #: ``cap`` (the capability a bpf_base_func_proto() section needs)
    prog_types: tuple[tuple[str, tuple[tuple[str, object], ...]], ...]
    #: ``.allowed``: the function of the program that must agree (``bpf_d_path_allowed``)
    allowed: str | None = None

    def condition(self, prog_type: str) -> dict[str, object] | None:
        for name, cond in self.prog_types:
            if name == prog_type:
                return dict(cond)
        return None


@dataclass(frozen=True, slots=True)
class HelperSpec:
    """A helper: its id, its prototypes, and the verifier's facts about it."""

    name: str
    id: int
    protos: tuple[ProtoSpec, ...]
    map_types: tuple[str, ...] = ()  # check_map_func_compatibility(): the map types it takes
    acquire: bool = False  # is_acquire_function()
    ptr_cast: bool = False  # is_ptr_cast_function()
    changes_pkt_data: bool = False  # bpf_helper_changes_pkt_data(): packet pointers die


def _arg(d: dict) -> ArgSpec:
    return ArgSpec(d["type"], tuple(d.get("flags", ())), d.get("btf_struct"), d.get("size"))


@cache
def _load() -> tuple[str, dict[str, HelperSpec]]:
    raw = json.loads(resources.files("kfunclab").joinpath("data/helper-protos.json")
                     .read_text())
    protos: dict[str, dict] = raw["protos"]
    out: dict[str, HelperSpec] = {}
    for name, h in raw["helpers"].items():
        specs = []
        for key, where in h["protos"].items():
            p = protos[key]
            specs.append(ProtoSpec(
                p["name"], p["file"], _arg(p["ret"]), tuple(_arg(a) for a in p["args"]),
                p["gpl_only"], p["might_sleep"], p["pkt_access"],
                tuple((t, tuple(sorted(c.items()))) for t, c in where["prog_types"].items()),
                p.get("allowed")))
        out[name] = HelperSpec(name, h["id"], tuple(specs), tuple(h.get("map_types", ())),
                               bool(h.get("acquire")), bool(h.get("ptr_cast")),
                               bool(h.get("changes_pkt_data")))
    return raw["kernel"], out


@cache
@cache
def btf_set(name: str) -> frozenset[str]:
    """A ``BTF_SET`` of functions a prototype's ``.allowed`` looks attach targets up in
    (``btf_allowlist_d_path``, ``sleepable_lsm_hooks``); empty when the data has none."""
    raw = json.loads(resources.files("kfunclab").joinpath("data/helper-protos.json")
                     .read_text())
    return frozenset(raw.get("btf_sets", {}).get(name, ()))


def helper_specs() -> dict[str, HelperSpec]:
    """Every helper of the data, by name (``bpf_map_lookup_elem``)."""
    return _load()[1]


def helper_spec(name: str) -> HelperSpec | None:
    """The helper ``name`` (``bpf_`` prefix included), else None."""
    return _load()[1].get(name)


def source_release() -> str:
    """The kernel release whose source the data was generated from."""
    return _load()[0]


def protos_for(name: str, prog_type: str) -> list[ProtoSpec]:
    """The prototypes ``prog_type``'s ``get_func_proto()`` may return for helper ``name``."""
    spec = helper_spec(name)
    if spec is None:
        return []
    return [p for p in spec.protos if p.condition(prog_type) is not None]


def static_allowed(name: str, prog_type: str) -> bool:
    """The source's answer where no kernel can be asked: does some table of ``prog_type``
    return a prototype for ``name``? (Conditions such as lockdown are not evaluated.)"""
    return bool(protos_for(name, prog_type))
