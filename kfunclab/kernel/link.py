"""From a parsed Program to exactly what bpf(BPF_PROG_LOAD) takes, against the live kernel's BTF.

What a loader (libbpf, the shared ``kernel-verdict`` tool) does before the syscall:

- ``call NAME`` becomes a kfunc call (``src_reg=2``, ``imm`` = vmlinux BTF id) if NAME is a FUNC
  tagged ``bpf_kfunc``; else the helper ``BPF_FUNC_<NAME without bpf_>`` if the running kernel has
  one; else a kfunc call to any other vmlinux FUNC (which the kernel then refuses);
- ``SEC("...")`` gives the program type, expected attach type, sleepable flag and attach target
  (``tp_btf/<tp>`` is the TYPEDEF ``btf_trace_<tp>``, ``fentry/<fn>`` the FUNC ``<fn>``, ...);
- ``# TYPE:``/``# MAP:`` lines give the program BTF, the maps to create, and where map fds go.

Everything here is a pure function of the program and the kernel's BTF; nothing is loaded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from kfunclab.btf.relocate import link_type_ids
from kfunclab.errors import KfunclabError, ProgramError, SectionError
from kfunclab.isa.encoding import encode_program
from kfunclab.isa.insn import Call, CallKind, Imm64Kind, LoadImm64
from kfunclab.isa.program import Program
from kfunclab.kernel.bpf import capability_number
from kfunclab.kernel.progbtf import ProgBtf, build_prog_btf
from kfunclab.progtypes import program_type


class KernelBtf(Protocol):
    """What linking needs of :func:`kfunclab.btf.load_btf` ``("live")``."""

    def find(self, name: str, kind: Any = ...) -> tuple[int, ...]: ...

    def enum_values(self, name: str) -> Mapping[str, int]: ...

    def kfuncs(self) -> Iterable[Any]: ...  # records with a ``name``


@dataclass(frozen=True, slots=True)
class LoadPlan:
    """Everything the bpf() calls need; built by :func:`plan_load`, executed by the verdict."""

    insns: bytes
    prog_type: int
    expected_attach_type: int
    attach_btf_id: int
    prog_flags: int
    license: str
    name: str
    prog_btf: ProgBtf | None = None
    map_types: tuple[int, ...] = ()  # BPF_MAP_TYPE_* of prog_btf.maps, in the same order
    map_slots: tuple[tuple[int, str], ...] = ()  # (ld_imm64 slot, map name): where fds go
    dropped_caps: tuple[str, ...] = ()


def find_id(btf: KernelBtf, name: str, kind: str) -> int | None:
    """The first vmlinux BTF id of ``name`` of ``kind`` ("FUNC", "STRUCT", "TYPEDEF"), else None."""
    ids = btf.find(name, kind)
    return ids[0] if ids else None


def kfunc_names(btf: KernelBtf) -> frozenset[str]:
    """Names of the FUNCs tagged ``bpf_kfunc`` in ``btf``."""
    return frozenset(sig.name for sig in btf.kfuncs())


def _where(program: Program, slot: int) -> str:
    if program.source is None:
        return f"{program.name}: insn {slot}"
    return f"{program.source.file}:{program.source.line_of(slot)}: insn {slot}"


def link_calls(program: Program, btf: KernelBtf, kfuncs: frozenset[str] | None = None
               ) -> Program:
    """``program`` with every named call resolved as the kernel-verdict tool resolves it.

    A call the parser already numbered (``call bpf_task_acquire#65913``) is looked up again by
    its name: ids are the running kernel's, not the ones a log from another kernel printed.
    """
    kfuncs = kfunc_names(btf) if kfuncs is None else kfuncs
    try:
        helpers: Mapping[str, int] = btf.enum_values("bpf_func_id")
    except KfunclabError:  # a BTF without the enum: keep the isa table's helper ids
        helpers = {}
    insns = list(program.insns)
    for slot, insn in program.instructions():
        if isinstance(insn, Call) and insn.name is not None and insn.kind is not CallKind.SUBPROG:
            insns[slot] = _link_call(insn, btf, kfuncs, helpers, _where(program, slot))
    return dataclasses.replace(program, insns=tuple(insns))


def _link_call(call: Call, btf: KernelBtf, kfuncs: frozenset[str], helpers: Mapping[str, int],
               where: str) -> Call:
    name = call.name or ""
    func_id = find_id(btf, name, "FUNC")
    if func_id is not None and name in kfuncs:
        return Call(CallKind.KFUNC, func_id, name)
    helper = helpers.get(f"BPF_FUNC_{name.removeprefix('bpf_')}")
    if helper is not None:
        return Call(CallKind.HELPER, helper, name)
    if func_id is not None:  # a kernel function that is no kfunc: the kernel says so itself
        return Call(CallKind.KFUNC, func_id, name)
    if call.kind is CallKind.HELPER and not helpers:
        return call
    raise ProgramError(f"{where}: cannot resolve call {name!r}: neither a FUNC in the running "
                       "kernel's BTF nor one of its BPF helpers")


def _enum(btf: KernelBtf, enum: str, member: str, default: int | None = None) -> int:
    """``member`` of the running kernel's ``enum`` (our own table's ``default`` if absent)."""
    try:
        value = btf.enum_values(enum).get(member, default)
    except KfunclabError:  # a BTF without that enum: trust our table
        value = default
    if value is None:
        raise SectionError(f"{member} is not in the running kernel's enum {enum}")
    return value


def section_attrs(section: str, btf: KernelBtf) -> tuple[int, int, int, int]:
    """``(prog_type, expected_attach_type, attach_btf_id, prog_flags)`` of a SEC name.

    Numbers come from the running kernel's enums by name (kfunclab's 6.18 tables otherwise);
    ``attach_btf_id`` is the vmlinux id of what libbpf looks up (``btf_trace_<tp>`` TYPEDEF for
    ``tp_btf/<tp>``, the FUNC ``<fn>`` for ``fentry/<fn>``, ``bpf_lsm_<hook>`` ...).
    """
    info = program_type(section)
    prog_type = _enum(btf, "bpf_prog_type", info.prog_type.kernel_name, int(info.prog_type))
    attach = 0
    if info.expected_attach_type is not None:
        attach = _enum(btf, "bpf_attach_type", f"BPF_{info.expected_attach_type.name}",
                       info.expected_attach_type_value)
    attach_btf_id = 0
    target = info.attach_btf_name
    if target is not None:
        name, kind = target
        found = find_id(btf, name, kind)
        if found is None:
            raise SectionError(f'SEC("{section}"): attach target {kind} {name} is not in the '
                               "running kernel's BTF")
        attach_btf_id = found
    return prog_type, attach, attach_btf_id, info.prog_flags


def plan_load(program: Program, btf: KernelBtf) -> LoadPlan:
    """Resolve ``program`` against the kernel's BTF into a :class:`LoadPlan` (no syscall)."""
    for cap in program.dropped_caps:
        capability_number(cap)
    prog_type, attach, attach_btf_id, prog_flags = section_attrs(program.section, btf)
    program = link_type_ids(program, btf)  # type: ignore[arg-type]
    linked = link_calls(program, btf)
    insns = encode_program(linked)
    prog_btf = None
    map_types: tuple[int, ...] = ()
    if program.has_prog_btf:
        prog_btf = build_prog_btf(program, lambda n: find_id(btf, n, "STRUCT") is not None)
        map_types = tuple(_enum(btf, "bpf_map_type", "BPF_MAP_TYPE_" + m.map_type.upper())
                          for m in prog_btf.maps)
    return LoadPlan(
        insns=insns,
        prog_type=prog_type,
        expected_attach_type=attach,
        attach_btf_id=attach_btf_id,
        prog_flags=prog_flags,
        license=program.license,
        name=program.name,
        prog_btf=prog_btf,
        map_types=map_types,
        map_slots=_map_slots(program),
        dropped_caps=tuple(sorted(program.dropped_caps)),
    )


def _map_slots(program: Program) -> tuple[tuple[int, str], ...]:
    slots = []
    for slot, insn in program.instructions():
        if isinstance(insn, LoadImm64) and insn.kind is Imm64Kind.MAP_FD:
            if insn.map_name is None or program.map_named(insn.map_name) is None:
                raise ProgramError(f"{_where(program, slot)}: map {insn.map_name!r} is not "
                                   "declared by a # MAP: line")
            slots.append((slot, insn.map_name))
    return tuple(slots)
