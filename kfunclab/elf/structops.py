"""Which struct_ops member each program of an object fills, as libbpf finds it.

A struct_ops program (``SEC("struct_ops/...")``) carries no attach target of its own: libbpf
reads the ``.struct_ops`` / ``.struct_ops.link`` sections, whose BTF DATASEC holds variables of
a kernel struct type (``struct tcp_congestion_ops dctcp = { .init = (void *)dctcp_init }``);
each relocation of such a section puts a program's address in one member
(``bpf_object__collect_st_ops_relos()``). At load, ``bpf_map__init_kern_struct_ops()`` finds
the struct of the same name in the kernel BTF and the member of the same name in it, and
the program is loaded with ``attach_btf_id`` = that kernel struct and ``expected_attach_type``
= the kernel member's index.

:func:`struct_ops_members` returns program name -> :class:`StructOpsSlot` (the local struct
and member names; the kernel side is looked up by the verifier in the kernel BTF in use).

>>> struct_ops_members  # doctest: +ELLIPSIS
<function struct_ops_members at ...>
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from elftools.elf.elffile import ELFFile

from kfunclab.btf.model import Btf
from kfunclab.btf.types import BtfKind, Composite, Datasec, Var
from kfunclab.errors import BtfError

#: the sections libbpf reads struct_ops maps from (``.struct_ops.link``: a map with BPF_F_LINK)
STRUCT_OPS_SECTIONS = (".struct_ops", ".struct_ops.link")


@dataclass(frozen=True, slots=True)
class StructOpsSlot:
    """A program's place: member ``member`` of variable ``var`` of type ``struct struct_name``
    in section ``section``."""

    struct_name: str
    member: str
    var: str
    section: str


def struct_ops_members(path: str | Path, btf: Btf | None) -> dict[str, StructOpsSlot]:
    """Program (ELF function) name -> the struct_ops member it fills, for the object at
    ``path`` with its own BTF ``btf``. Empty when the object has no struct_ops section."""
    if btf is None:
        return {}
    out: dict[str, StructOpsSlot] = {}
    with open(path, "rb") as fh:
        elf = ELFFile(fh)
        symtab = elf.get_section_by_name(".symtab")
        if symtab is None:
            return {}
        for idx, sec in enumerate(elf.iter_sections()):
            if sec.name not in STRUCT_OPS_SECTIONS:
                continue
            # clang leaves a DATASEC's offsets to the loader (btf_fixup_datasec() reads them
            # from the symbols), so the variables' places come from the symbol table
            places = {sym.name: (sym["st_value"], sym["st_size"])
                      for sym in symtab.iter_symbols() if sym["st_shndx"] == idx and sym.name}
            layout = _variables(btf, sec.name, places)
            for rel in elf.iter_sections():
                if rel["sh_type"] != "SHT_REL" or rel["sh_info"] != idx:
                    continue
                for r in rel.iter_relocations():
                    sym = symtab.get_symbol(r["r_info_sym"])
                    slot = _member_at(btf, layout, r["r_offset"], sec.name)
                    if slot is not None and sym.name:
                        out.setdefault(sym.name, slot)
    return out


def _variables(btf: Btf, section: str,
               places: dict[str, tuple[int, int]]) -> list[tuple[int, int, str, int]]:
    """(offset, size, variable name, struct type id) of the section's variables."""
    out = []
    for sec_id in btf.find(section, BtfKind.DATASEC):
        ds = btf.type_by_id(sec_id)
        if not isinstance(ds, Datasec):
            continue
        for info in ds.vars:
            var = btf.type_by_id(info.type)
            if isinstance(var, Var):
                offset, size = places.get(var.name, (info.offset, info.size))
                out.append((offset, size, var.name, btf.skip_modifiers(var.type)))
    return out


def _member_at(btf: Btf, layout: list[tuple[int, int, str, int]], offset: int,
               section: str) -> StructOpsSlot | None:
    for start, size, name, type_id in layout:
        if not start <= offset < start + size:
            continue
        try:
            struct = btf.type_by_id(type_id)
        except BtfError:
            return None
        if not isinstance(struct, Composite):
            return None
        for m in struct.members:
            if m.bit_offset == (offset - start) * 8:
                return StructOpsSlot(struct.name, m.name, name, section)
    return None
