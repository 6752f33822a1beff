"""From a BPF object to kfunclab :class:`~kfunclab.isa.program.Program` values, one per program.

:func:`object_programs` reads the object, builds its maps as libbpf creates them, links each
program (:func:`kfunclab.elf.link.link_program`) and decodes the linked instructions. What the
verifier does not model is put on the program as :attr:`Program.unsupported` (a sentence), so
``verify()`` answers ``unsupported`` for it instead of guessing.
"""

from __future__ import annotations

import struct
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path

from kfunclab.btf.model import Btf
from kfunclab.btf.types import BtfKind, Func, FuncProto, Linkage
from kfunclab.elf.exccb import exception_callback_check, exception_callback_name
from kfunclab.elf.fields import LocalTypes
from kfunclab.elf.globals import arg_kinds
from kfunclab.elf.link import (
    LinkedProgram,
    LinkError,
    kallsyms,
    link_program,
)
from kfunclab.elf.mainargs import kernel_refuses_btf, main_args_log
from kfunclab.elf.maps import ElfMap, btf_maps, data_map
from kfunclab.elf.objfile import BpfObject, Function, read_object
from kfunclab.elf.structops import StructOpsSlot, struct_ops_members
from kfunclab.errors import BtfError, SectionError
from kfunclab.isa.encoding import DecodeError, decode
from kfunclab.isa.helpers import helper_name
from kfunclab.isa.insn import Call, CallKind, Exit, Imm64Kind, LoadImm64
from kfunclab.isa.program import Program
from kfunclab.progtypes import program_type
from kfunclab.verifier.helper_protos import HELPER_PROTOS

#: Map types whose helpers and values the verifier models.
MODELLED_MAP_TYPES = frozenset({"array", "hash", "percpu_array", "percpu_hash", "lru_hash",
                                "lru_percpu_hash", "ringbuf", "prog_array",
                                # the helpers that take these check their map type
                                # (kfunclab.verifier.map_types); what kfunclab does not model of
                                # them (sockmap lookups ...) answers unsupported at the call
                                "cgroup_storage", "percpu_cgroup_storage", "sk_storage",
                                "cgrp_storage", "task_storage", "inode_storage", "sockmap",
                                "sockhash", "xskmap", "devmap", "devmap_hash", "cpumap",
                                "perf_event_array", "stack_trace", "queue", "stack",
                                "bloom_filter", "lpm_trie", "reuseport_sockarray",
                                "cgroup_array", "user_ringbuf"})
#: Maps of maps: modelled when the object declares their inner map (``__array(values, ...)``)
MAP_IN_MAP_TYPES = frozenset({"array_of_maps", "hash_of_maps"})
_SLOT = struct.Struct("<BBhi")


@dataclass(frozen=True)
class ObjectProgram:
    """One program of an object: its ELF name and section, and the Program (None if unlinkable)."""

    name: str
    section: str
    program: Program | None
    error: str | None = None  # libbpf would refuse the object: why
    #: the global functions it calls, each to be verified on its own (in subprogram order)
    globals: tuple[Program, ...] = ()


def object_programs(path: str | Path, kernel: Btf | None,
                    only: Collection[str] | None = None) -> list[ObjectProgram]:
    """Every program of the object at ``path`` (or those named in ``only``), linked against
    the kernel BTF ``kernel``."""
    obj = read_object(path)
    maps = btf_maps(obj.btf) if obj.btf is not None else {}
    obj_name = Path(obj.path).name
    data_maps = {idx: data_map(obj_name, name, obj.sections[idx][1], obj.sizes.get(idx, 0),
                                obj.btf, {s.name: s.value for s in obj.symbols
                                          if s.shndx == idx and s.name})
                 for idx, name in obj.data_sections.items()}
    kconfig_size = obj.sizes.get(next((i for i, (n, _) in obj.sections.items()
                                       if n == ".kconfig"), -1), 0)
    kconfig = data_map(obj_name, ".kconfig", b"", max(kconfig_size, _kconfig_size(obj)))
    local = LocalTypes(obj.btf) if obj.btf is not None else None
    if local is not None:  # map values hold the records the kernel parses at map creation
        maps = {k: local.checked_map(m) for k, m in maps.items()}
        data_maps = {k: local.checked_map(m) for k, m in data_maps.items()}
    everything: dict[str, ElfMap] = {m.decl.name: m for m in maps.values()}
    everything.update({m.decl.name: m for m in data_maps.values()})
    everything[".kconfig"] = kconfig
    st_ops = struct_ops_members(obj.path, obj.btf)
    out = []
    for func in obj.programs:
        if only is not None and func.name not in only:
            continue
        section = func.section
        try:
            linked = link_program(obj, func, maps, data_maps, kernel)
        except LinkError as exc:
            out.append(ObjectProgram(func.name, section, None, f"libbpf: {exc}"))
            continue
        main = _program(obj, func, linked, everything, kernel, local=local,
                        struct_ops=st_ops)
        subs = []
        for f, base in linked.units[1:]:
            if base in main.global_funcs:
                try:
                    own = link_program(obj, f, maps, data_maps, kernel)
                except LinkError as exc:
                    main = replace(main, unsupported=f"global function '{f.name}': {exc}")
                    break
                sub = _program(obj, f, own, everything, kernel, func.section,
                               main.global_funcs[base][1], local=local,
                               struct_ops={f.name: st_ops[func.name]}
                               if func.name in st_ops else None)
                numbers = {main.func_names[b]: n for n, b in enumerate(sorted(main.func_names))}
                subs.append(replace(sub, func_numbers=numbers,
                                    exception_callback=main.exception_callback))
        out.append(ObjectProgram(func.name, section, main, globals=tuple(subs)))
    return out


def _kconfig_size(obj: BpfObject) -> int:
    if obj.btf is None:
        return 0
    size = 0
    for sec_id in obj.btf.find(".kconfig", BtfKind.DATASEC):
        for info in obj.btf.type_by_id(sec_id).vars:  # type: ignore[attr-defined]
            size = max(size, info.offset + info.size)
    return size


def _program(obj: BpfObject, func: Function, linked: LinkedProgram,
             maps: dict[str, ElfMap], kernel: Btf | None, section: str | None = None,
             entry_args: tuple[str, ...] | None = None,
             local: LocalTypes | None = None,
             struct_ops: dict[str, StructOpsSlot] | None = None) -> Program:
    section = (section or func.section).removeprefix("?")
    reasons = list(linked.unsupported)
    struct_ops = struct_ops or {}
    why_insn: int | None = None
    try:
        ptype = program_type(section)
        ptype_name: str | None = ptype.prog_type.kernel_name
    except SectionError as exc:
        ptype_name = None
        reasons.insert(0, f"section '{func.section}': {exc}")
        section = "syscall"  # a placeholder; the program answers unsupported
    raw = b"".join(_SLOT.pack(*s) for s in linked.slots)
    try:
        insns = list(decode(raw))
    except DecodeError as exc:
        insns = [Exit()]  # a stand-in: the program answers unsupported before verification
        reasons.insert(0, f"instruction at slot {exc.slot} is not modelled by kfunclab's "
                          f"decoder: {exc}")
        why_insn = exc.slot
    used: dict[str, object] = {}
    for slot, name in linked.maps.items():
        m = maps.get(name)
        if m is None:
            reasons.append(f"map '{name}' at insn {slot} is not known")
            continue
        used[name] = m.decl
        if m.unsupported:
            reasons.append(f"map '{name}': {m.unsupported}")
            why_insn = slot if why_insn is None else why_insn
        elif (m.decl.map_type not in MODELLED_MAP_TYPES and m.section == ".maps"
              and not (m.decl.map_type in MAP_IN_MAP_TYPES and m.inner is not None)):
            reasons.append(f"map type {m.decl.map_type} (map '{name}') is not modelled")
            why_insn = slot if why_insn is None else why_insn
        if slot < len(insns) and isinstance(insns[slot], LoadImm64):
            ins = insns[slot]
            offset = ins.imm >> 32 if ins.kind is Imm64Kind.MAP_VALUE else 0
            insns[slot] = LoadImm64(ins.dst, offset & 0xFFFFFFFF, ins.kind, name)
    for slot, name in linked.kfuncs.items():
        if slot < len(insns) and isinstance(insns[slot], Call):
            insns[slot] = Call(CallKind.KFUNC, insns[slot].imm, name)
    refused = None
    refused_errno = 2  # ENOENT: an unknown __ksym
    for slot, (name, _tid, kind) in linked.ksyms.items():
        syms = kallsyms()
        if kind != "func" and syms is not None and name not in syms and refused is None:
            # check_pseudo_btf_id(): the kernel looks the variable up in kallsyms
            refused = f"ldimm64 failed to find the address for kernel symbol '{name}'."
        if kind != "func":
            reasons.append(f"kernel variable __ksym '{name}' (BPF_PSEUDO_BTF_ID) is not "
                           f"modelled")
            why_insn = slot if why_insn is None else why_insn
    main_id = linked.func_info.get(0)
    prog_flags = 0
    exc_cb = None
    if obj.btf is not None and main_id:
        exc_refusal, exc_missing = exception_callback_check(obj.btf, main_id, linked.func_info)
        if exc_missing:
            reasons.append(exc_missing)
        if exc_refusal:  # add_subprog_and_kfunc() comes before any other refusal
            refused = exc_refusal
            refused_errno = 22
        else:
            exc_cb = exception_callback_name(obj.btf, main_id)
        # the selftests' __flag(): load flags test_loader passes, read from the object
        flags = [t.split("=", 1)[1] for t in obj.btf.decl_tags(main_id)
                 if t.startswith("comment:test_prog_flags=")]
        for flag in flags:
            if flag == "BPF_F_TEST_STATE_FREQ":
                prog_flags |= 1 << 3  # a checkpoint at every prune point (is_state_visited)
            elif flag == "BPF_F_STRICT_ALIGNMENT":
                reasons.append(f"the load flag {flag} (a __flag() of the program) is not "
                               "modelled")
    slot = struct_ops.get(func.name) if ptype_name == "BPF_PROG_TYPE_STRUCT_OPS" else None
    func_names = {base: f.name for f, base in linked.units}
    global_funcs: dict[int, tuple[str, tuple[str, ...]]] = {}
    ctx = ptype.context.ctype if ptype_name else None
    ctx_name = ctx.name if ctx is not None and ctx.kind.name == "STRUCT" else None
    for f, base in linked.units[1:]:
        type_id = linked.func_info.get(base)
        if not _is_global(obj, f, type_id):
            continue
        kinds, why = (arg_kinds(obj.btf, type_id, ctx_name) if obj.btf and type_id
                      else (None, "no BTF"))
        if kinds is None:
            reasons.append(f"global function '{f.name}': {why}")
            why_insn = base if why_insn is None else why_insn
            continue
        global_funcs[base] = (f.name, kinds)
    # chains through global functions are checked after their verification
    # (kfunclab.verifier.chaindepth); with callbacks taken by address in the chain, kfunclab
    # still answers unsupported near the limits
    if global_funcs and any(s[0] == 0x18 and s[1] >> 4 == 4 for s in linked.slots):
        deep = _call_chain_limits(linked)
        if deep:
            reasons.append(deep)
    reason = "; ".join(dict.fromkeys(reasons)) if reasons else None
    # libbpf loads the programs without BTF when the kernel refuses the object's: no line_info
    # and no func_info in the log then
    no_btf = obj.btf is None or kernel_refuses_btf(obj.btf)
    args_log = (main_args_log(obj.btf, main_id, ctx_name)  # type: ignore[arg-type]
                if not no_btf and main_id and entry_args is None else ())
    return Program(
        insns=tuple(insns), section=section, license=obj.license or "",
        maps=tuple(used.values()),  # type: ignore[arg-type]
        name=func.name, c_lines={} if no_btf else dict(linked.c_lines), func_names=func_names,
        prog_type_name=ptype_name, prog_flags=prog_flags, unsupported=reason,
        unsupported_insn=why_insn, global_funcs=global_funcs, entry_args=entry_args,
        func_args_log=args_log,
        refused=refused, refused_errno=refused_errno, local_btf=local, exception_callback=exc_cb,
        struct_ops=(slot.struct_name, slot.member) if slot is not None else None,
        log_fixups=dict(linked.log_fixups),
        pkt_changing_funcs=_pkt_changing(linked, global_funcs),
        void_funcs=frozenset(base for f, base in linked.units[1:]
                             if _returns_void(obj, linked.func_info.get(base))))


def _returns_void(obj: BpfObject, type_id: int | None) -> bool:
    if obj.btf is None or not type_id:
        return False
    try:
        proto = obj.btf.type_by_id(getattr(obj.btf.type_by_id(type_id), "type", 0))
    except BtfError:
        return False
    return isinstance(proto, FuncProto) and proto.type == 0


def _pkt_changing(linked: LinkedProgram, global_funcs: dict) -> frozenset[int]:
    """Global functions whose call kills packet pointers: check_cfg() marks a subprogram
    that calls a packet-changing helper (bpf_tail_call too) and merges each callee's mark
    into its callers (merge_callee_effects())."""
    if not global_funcs:
        return frozenset()
    units = [(base, base + f.size // 8) for f, base in linked.units]
    marked, callees = set(), {}
    for start, end in units:
        callees[start] = set()
        for pc in range(start, end):
            code, regs, _, imm = linked.slots[pc]
            if code == 0x85 and regs >> 4 == 0 and (imm == _TAIL_CALL or _changes_pkt(imm)):
                marked.add(start)
            elif code == 0x85 and regs >> 4 == 1:
                callees[start].add(pc + 1 + imm)
    grew = True
    while grew:
        grew = False
        for start, called in callees.items():
            if start not in marked and called & marked:
                marked.add(start)
                grew = True
    return frozenset(b for b in global_funcs if b in marked)


_TAIL_CALL = 12  # BPF_FUNC_tail_call: a tail-called program may change the packet


def _changes_pkt(helper: int) -> bool:
    name = (helper_name(helper) or "").removeprefix("bpf_")
    proto = HELPER_PROTOS.get(name)
    return (proto is not None and proto.changes_pkt_data) or name.startswith(
        ("skb_change", "skb_adjust", "xdp_adjust", "skb_vlan", "l3_csum", "l4_csum",
         "lwt_", "msg_", "skb_store", "skb_pull", "clone_redirect"))


def _is_global(obj: BpfObject, func: Function, type_id: int | None) -> bool:
    """Global for the kernel: BTF linkage global (libbpf makes __hidden functions static)."""
    if func.hidden or func.bind == 0:
        return False
    if obj.btf is not None and type_id:
        try:
            t = obj.btf.type_by_id(type_id)
        except BtfError:
            return True
        return isinstance(t, Func) and t.linkage is Linkage.GLOBAL
    return True


def _call_chain_limits(linked: LinkedProgram) -> str | None:
    """check_max_stack_depth() spans global functions too, which kfunclab does not enter:
    call chains near the kernel's limits (8 frames, 512 bytes of stack) answer unsupported.
    Stack use is estimated from r10-relative offsets, with a margin."""
    starts = [base for _, base in linked.units]
    ends = [base + f.size // 8 for f, base in linked.units]
    depth, callees = {}, {}
    for start, end in zip(starts, ends, strict=True):
        used, fp_copies, calls = 0, set(), set()
        for pc in range(start, end):
            code, regs, off, imm = linked.slots[pc]
            dst, src = regs & 0xF, regs >> 4
            if code == 0xBF and src == 10:
                fp_copies.add(dst)
            elif code == 0x07 and dst in fp_copies and imm < 0:
                used = max(used, -imm)
            if code & 7 in (1, 2, 3) and 10 in (dst, src) and off < 0:
                used = max(used, -off)
            if code == 0x85 and src == 1:
                calls.add(pc + 1 + imm)
        depth[start] = (used + 31) // 32 * 32
        callees[start] = calls

    def chain(node: int, seen: tuple[int, ...]) -> tuple[int, int]:
        if node in seen or node not in depth:
            return 99, 1 << 20  # recursion: the kernel refuses it anyway
        best_frames, best_stack = 1, depth[node]
        for c in callees[node]:
            frames, stack = chain(c, (*seen, node))
            best_frames = max(best_frames, frames + 1)
            best_stack = max(best_stack, stack + depth[node])
        return best_frames, best_stack

    frames, stack = chain(starts[0], ())
    if frames > 8 or stack > 384:
        return (f"a call chain through global functions ({frames} frames, about {stack} bytes "
                "of stack) near the kernel's limits is not modelled")
    return None
