"""One program of a BPF object, linked the way libbpf prepares it for ``BPF_PROG_LOAD``.

:func:`link_program` copies the program's instructions, appends every subprogram it calls
(depth first, as ``bpf_object__reloc_code()`` does) and fixes the call offsets, applies the
``.rel`` relocations (maps, global data as ``BPF_PSEUDO_MAP_VALUE`` loads, externs: kfuncs,
``.kconfig`` and ``.ksyms`` variables) and the CO-RE relocations, and carries func_info and
line_info over to the linked slots. The result is a :class:`LinkedProgram`: raw slots plus
what each slot refers to; :mod:`kfunclab.elf.load` turns it into a
:class:`~kfunclab.isa.program.Program`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from kfunclab.btf.model import Btf
from kfunclab.btf.types import BtfKind, Datasec, Func, Linkage, Var
from kfunclab.elf.core import KINDS, CoreUnsupported, format_spec, resolve
from kfunclab.elf.maps import ElfMap
from kfunclab.elf.objfile import STB_WEAK, STT_SECTION, BpfObject, Function
from kfunclab.errors import BtfError, KfunclabError

_SLOT = struct.Struct("<BBhi")
LD_IMM64 = 0x18
CALL = 0x85
PSEUDO_CALL, PSEUDO_KFUNC_CALL = 1, 2
PSEUDO_MAP_FD, PSEUDO_MAP_VALUE, PSEUDO_BTF_ID, PSEUDO_FUNC = 1, 2, 3, 4
#: libbpf's poisoned instruction: a call of helper 0xbad2310 (failed CO-RE relocation); an
#: unresolved __weak kfunc stays a kfunc call with BTF id 0
CORE_POISON = 0xBAD2310


@dataclass
class LinkedProgram:
    """Raw instruction slots of one program after libbpf's relocation, and their meaning."""

    slots: list[list[int]]  # [code, regs, off, imm] per 8-byte slot
    units: list[tuple[Function, int]]  # (function, first slot): main first, then subprograms
    maps: dict[int, str] = field(default_factory=dict)  # ld_imm64 slot -> map name
    kfuncs: dict[int, str] = field(default_factory=dict)  # call slot -> kfunc name
    ksyms: dict[int, tuple[str, int, str]] = field(default_factory=dict)  # slot -> (name, id, kind)
    c_lines: dict[int, tuple[str, int, str]] = field(default_factory=dict)
    func_info: dict[int, int] = field(default_factory=dict)  # slot -> BTF FUNC id
    poisoned: dict[int, str] = field(default_factory=dict)  # slot -> why libbpf poisoned it
    #: slot -> the line libbpf's log fixup writes in place of the kernel's error there
    log_fixups: dict[int, str] = field(default_factory=dict)
    unsupported: list[str] = field(default_factory=list)
    core_count: int = 0


class LinkError(Exception):
    """libbpf would refuse to load the object; the message is libbpf's reason."""


def link_program(obj: BpfObject, prog: Function, maps: dict[str, ElfMap],
                 data_maps: dict[int, ElfMap], kernel: Btf | None) -> LinkedProgram:
    """Link ``prog`` of ``obj``; ``maps`` by name, ``data_maps`` by section index."""
    linked = LinkedProgram([], [])
    _append(obj, linked, prog)
    core_btf = custom_core_btf(obj, prog) or kernel
    pos = 0
    while pos < len(linked.units):  # every appended unit is relocated in turn
        unit, base = linked.units[pos]
        _relocate(obj, linked, unit, base, maps, data_maps, kernel, core_btf)
        pos += 1
    return linked


def custom_core_btf(obj: BpfObject, prog: Function) -> Btf | None:
    """The BTF a selftest's ``__btf_path("FILE")`` names for CO-RE, or None.

    test_loader opens such a program's object with libbpf's ``btf_custom_path``: CO-RE
    relocations then resolve against FILE's BTF (a raw BTF or an ELF object's ``.BTF``)
    instead of the kernel's. FILE is read from the object's directory.
    """
    if obj.btf is None:
        return None
    tags = [t.split("=", 1)[1] for fid in obj.btf.find(prog.name, BtfKind.FUNC)
            for t in obj.btf.decl_tags(fid) if t.startswith("comment:test_btf_path=")]
    if not tags:
        return None
    from pathlib import Path

    from kfunclab.elf.objfile import read_object

    path = Path(obj.path).parent / tags[0]
    try:
        data = path.read_bytes()
        elf = data[:4] == b"\x7fELF"
        btf = read_object(path).btf if elf else Btf.from_bytes(data, str(path))
    except (OSError, KfunclabError) as exc:
        raise LinkError(f"failed to parse target BTF '{tags[0]}': {exc}") from None
    if btf is None:
        raise LinkError(f"failed to parse target BTF '{tags[0]}': no .BTF section")
    return btf


def _append(obj: BpfObject, linked: LinkedProgram, func: Function) -> int:
    base = len(linked.slots)
    data = obj.sections[func.shndx][1][func.offset:func.offset + func.size]
    linked.slots += [list(_SLOT.unpack_from(data, i)) for i in range(0, len(data) - 7, 8)]
    linked.units.append((func, base))
    _ext_info(obj, linked, func, base)
    return base


def _slot_of(linked: LinkedProgram, func: Function) -> int | None:
    for unit, base in linked.units:
        if unit == func:
            return base
    return None


def _ext_info(obj: BpfObject, linked: LinkedProgram, func: Function, base: int) -> None:
    ext = obj.btf_ext
    if ext is None:
        return
    lo, hi = func.offset, func.offset + func.size
    for li in ext.line_info.get(func.section, ()):
        if lo <= li.insn_off < hi:
            linked.c_lines[base + (li.insn_off - lo) // 8] = (li.file.rsplit("/", 1)[-1],
                                                              li.line, li.text)
    for fi in ext.func_info.get(func.section, ()):
        if lo <= fi.insn_off < hi:
            linked.func_info[base + (fi.insn_off - lo) // 8] = fi.type_id


def _relocate(obj: BpfObject, linked: LinkedProgram, unit: Function, base: int,
              maps: dict[str, ElfMap], data_maps: dict[int, ElfMap], kernel: Btf | None,
              core_btf: Btf | None) -> None:
    lo, hi = unit.offset, unit.offset + unit.size
    relocs = {r.offset: r for r in obj.relocs.get(unit.shndx, ()) if lo <= r.offset < hi}
    _core(obj, linked, unit, base, core_btf)
    n = unit.size // 8
    for i in range(n):
        slot = base + i
        code, regs, _off, imm = linked.slots[slot]
        src = regs >> 4
        rel = relocs.get(lo + i * 8)
        is_call = code == CALL
        is_ld = code == LD_IMM64
        if rel is None:
            if is_call and src == PSEUDO_CALL:
                _call(obj, linked, slot, unit.shndx, (lo // 8) + i + imm + 1)
            elif is_ld and src == PSEUDO_FUNC:
                _call(obj, linked, slot, unit.shndx, (lo + imm) // 8, func=True)
            continue
        sym = rel.symbol
        if sym.is_extern:
            _extern(obj, linked, slot, sym.name, sym.bind == STB_WEAK, is_call, kernel)
        elif sym.shndx == obj.maps_shndx:
            key = sym.name if sym.type != STT_SECTION else None
            m = maps.get(key) if key else next(
                (x for x in maps.values() if x.sym_offset == sym.value + imm), None)
            if m is None or not is_ld:
                raise LinkError(f"relocation at insn {i} of '{unit.name}' against .maps "
                                f"symbol '{sym.name}' names no map")
            linked.slots[slot][1] = (regs & 0xF) | PSEUDO_MAP_FD << 4
            linked.slots[slot][3] = 0
            linked.maps[slot] = m.decl.name
        elif sym.shndx in data_maps and is_ld:
            m = data_maps[sym.shndx]
            linked.slots[slot][1] = (regs & 0xF) | PSEUDO_MAP_VALUE << 4
            linked.slots[slot + 1][3] = imm + sym.value
            linked.slots[slot][3] = 0
            linked.maps[slot] = m.decl.name
        elif sym.shndx in obj.sections and obj.sections[sym.shndx][0] != ".maps":
            target_sec = sym.shndx
            if is_call:
                _call(obj, linked, slot, target_sec, sym.value // 8 + imm + 1)
            elif is_ld:  # libbpf's RELO_SUBPROG_ADDR: a callback's address
                _call(obj, linked, slot, target_sec, (sym.value + imm) // 8, func=True)
        else:
            raise LinkError(f"relocation at insn {i} of '{unit.name}' against symbol "
                            f"'{sym.name}' in an unexpected section")


def _call(obj: BpfObject, linked: LinkedProgram, slot: int, shndx: int, sec_insn: int,
          func: bool = False) -> None:
    """A BPF-to-BPF call (or a callback's address) to insn ``sec_insn`` of section ``shndx``."""
    target = None
    for f in obj.functions:
        if f.shndx == shndx and f.offset <= sec_insn * 8 < f.offset + max(f.size, 8):
            target = f
            break
    if target is None:
        raise LinkError(f"call at insn {slot} goes to insn {sec_insn} of section "
                        f"{obj.sections[shndx][0]}, which is no function")
    if target.shndx != obj.text_shndx:
        raise LinkError(f"call at insn {slot} targets '{target.name}' outside .text")
    start = _slot_of(linked, target)
    if start is None:
        start = _append(obj, linked, target)
    dest = start + (sec_insn * 8 - target.offset) // 8
    regs = linked.slots[slot][1]
    linked.slots[slot][1] = (regs & 0xF) | (PSEUDO_FUNC if func else PSEUDO_CALL) << 4
    linked.slots[slot][3] = dest - slot - 1
    if func:
        linked.slots[slot + 1][3] = 0


def _extern(obj: BpfObject, linked: LinkedProgram, slot: int, name: str, weak: bool,
            is_call: bool, kernel: Btf | None) -> None:
    kind, var_off = _extern_kind(obj, name)
    regs = linked.slots[slot][1]
    if kind == "kconfig":
        linked.slots[slot][1] = (regs & 0xF) | PSEUDO_MAP_VALUE << 4
        linked.slots[slot][3] = 0
        linked.slots[slot + 1][3] = var_off
        linked.maps[slot] = ".kconfig"
        return
    btf_kind = BtfKind.FUNC if kind == "func" else BtfKind.VAR
    ids = kernel.find(name, btf_kind) if kernel is not None else ()
    if is_call:
        if not ids:
            if not weak:
                raise LinkError(f"extern (func ksym) '{name}': not found in kernel or module "
                                f"BTFs")
            # libbpf leaves a kfunc call with BTF id 0: the verifier skips it, and refuses
            # the program afterwards if the call is still reachable (fixup_kfunc_call())
            linked.slots[slot] = [CALL, PSEUDO_KFUNC_CALL << 4, 0, 0]
            linked.poisoned[slot] = f"unresolved __weak kfunc '{name}'"
            return
        linked.slots[slot][1] = PSEUDO_KFUNC_CALL << 4
        linked.slots[slot][3] = ids[0]
        linked.kfuncs[slot] = name
        return
    if kind == "typeless":  # libbpf puts the kallsyms address in a plain ld_imm64
        syms = kallsyms()
        if syms is None:
            linked.unsupported.append(f"typeless __ksym '{name}' needs /proc/kallsyms, which "
                                      "is not readable here")
            return
        if name not in syms and not weak:
            raise LinkError(f"extern (ksym) '{name}': failed to find kernel symbol")
        addr = syms.get(name, 0)
        linked.slots[slot][1] = regs & 0xF
        linked.slots[slot][3] = _s32(addr & 0xFFFFFFFF)
        linked.slots[slot + 1][3] = _s32((addr >> 32) & 0xFFFFFFFF)
        return
    if not ids:
        if not weak:
            raise LinkError(f"extern ({'func' if kind == 'func' else 'var'} ksym) '{name}': "
                            "not found in kernel BTF")
        linked.slots[slot][1] = regs & 0xF
        linked.slots[slot][3] = linked.slots[slot + 1][3] = 0
        return
    linked.slots[slot][1] = (regs & 0xF) | PSEUDO_BTF_ID << 4
    linked.slots[slot][3] = ids[0]
    linked.slots[slot + 1][3] = 0
    linked.ksyms[slot] = (name, ids[0], kind)


def _extern_kind(obj: BpfObject, name: str) -> tuple[str, int]:
    """("kconfig", offset) | ("func", 0) | ("var", 0) | ("typeless", 0) from the object's BTF."""
    btf = obj.btf
    if btf is None:
        return "typeless", 0
    for sec_name in (".kconfig", ".ksyms"):
        for sec_id in btf.find(sec_name, BtfKind.DATASEC):
            sec = btf.type_by_id(sec_id)
            assert isinstance(sec, Datasec)
            for info in sec.vars:
                t = btf.type_by_id(info.type)
                if t.name != name:
                    continue
                if sec_name == ".kconfig":
                    return "kconfig", info.offset
                if isinstance(t, Func):
                    return "func", 0
                if isinstance(t, Var) and btf.skip_modifiers(t.type) == 0:
                    return "typeless", 0
                return "var", 0
    ids = btf.find(name, BtfKind.FUNC)
    if ids and isinstance(f := btf.type_by_id(ids[0]), Func) and f.linkage is Linkage.EXTERN:
        return "func", 0
    return "typeless", 0


def _core(obj: BpfObject, linked: LinkedProgram, unit: Function, base: int,
          kernel: Btf | None) -> None:
    if obj.btf_ext is None or obj.btf is None:
        return
    lo, hi = unit.offset, unit.offset + unit.size
    for relo in obj.btf_ext.core_relos.get(unit.section, ()):
        if not lo <= relo.insn_off < hi:
            continue
        slot = base + (relo.insn_off - lo) // 8
        linked.core_count += 1
        try:
            res = resolve(relo, obj.btf, kernel)
        except (CoreUnsupported, BtfError) as exc:
            linked.unsupported.append(f"CO-RE relocation at insn {slot}: {exc}")
            continue
        s = linked.slots[slot]
        if res.poison:
            is_ld = s[0] == LD_IMM64
            linked.slots[slot] = [CALL, 0, 0, CORE_POISON]
            if is_ld:
                linked.slots[slot + 1] = [CALL, 0, 0, CORE_POISON]
            linked.poisoned[slot] = f"failed CO-RE relocation ({KINDS[relo.kind]})"
            try:  # libbpf's fixup_log_failed_core_relo() rewrites the kernel's error
                spec = format_spec(relo, obj.btf)
            except CoreUnsupported:
                continue
            cut = "..." if len(spec) >= 255 else ""
            linked.log_fixups[slot] = f"failed to resolve CO-RE relocation {spec[:255]}{cut}"
            continue
        cls = s[0] & 7
        if s[0] == LD_IMM64:
            s[3] = _s32(res.value & 0xFFFFFFFF)
            linked.slots[slot + 1][3] = _s32((res.value >> 32) & 0xFFFFFFFF)
        elif cls in (4, 7):  # ALU/ALU64 with an immediate
            s[3] = _s32(res.value & 0xFFFFFFFF)
        elif cls in (1, 2, 3):  # LDX, ST, STX: the offset (and a resized field's size)
            s[2] = res.value
            if relo.kind == 0 and res.size and res.local_size and res.size != res.local_size:
                sizes = {1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18}
                if res.size not in sizes:
                    linked.unsupported.append(f"CO-RE field of {res.size} bytes at insn {slot}")
                    continue
                s[0] = (s[0] & ~0x18) | sizes[res.size]
        else:
            linked.unsupported.append(f"CO-RE relocation on instruction ({s[0]:02x}) at insn "
                                      f"{slot} is not understood")


def _s32(v: int) -> int:
    return v - (1 << 32) if v & 0x80000000 else v


_KALLSYMS: list[dict[str, int] | None] = []


def kallsyms() -> dict[str, int] | None:
    """This machine's kernel symbols and addresses (/proc/kallsyms), None where hidden."""
    if not _KALLSYMS:
        table: dict[str, int] | None = {}
        try:
            with open("/proc/kallsyms") as fh:
                for line in fh:
                    addr, _, rest = line.partition(" ")
                    name = rest[2:].split(maxsplit=1)[0] if len(rest) > 2 else ""
                    table.setdefault(name, int(addr, 16))
        except (OSError, ValueError):
            table = None
        if table is not None and not any(table.values()):
            table = None  # kptr_restrict: every address reads 0
        _KALLSYMS.append(table)
    return _KALLSYMS[0]
