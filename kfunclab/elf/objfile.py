"""A BPF ELF object as libbpf opens it: code sections, functions, relocations, data, BTF.

:func:`read_object` reads the file with pyelftools and keeps what ``bpf_object__open()``
looks at: executable sections and their function symbols (a program per global function of a
non-``.text`` section, subprograms in ``.text``), the ``.rel*`` relocations of code sections,
``license`` and ``version``, the data sections libbpf turns into maps, extern symbols
(``.kconfig`` / ``.ksyms``), ``.BTF`` and ``.BTF.ext``.

>>> read_object  # doctest: +ELLIPSIS
<function read_object at ...>
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

from kfunclab.btf.model import Btf
from kfunclab.elf.btfext import BtfExt, read_btf_ext
from kfunclab.errors import KfunclabError

ELF_MAGIC = b"\x7fELF"
EM_BPF = 247
SHF_EXECINSTR = 0x4
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2
STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION = 0, 1, 2, 3
SHN_UNDEF = 0

#: Data sections libbpf makes internal array maps of (``bpf_object__init_global_data_maps``).
DATA_PREFIXES = (".data", ".rodata", ".bss")


class ObjectError(KfunclabError):
    """A file that is not a BPF ELF object libbpf could open; names the file and the problem."""


def is_elf(path: str | Path) -> bool:
    """Whether ``path`` starts with the ELF magic ``\\x7fELF``."""
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == ELF_MAGIC
    except OSError:
        return False


@dataclass(frozen=True, slots=True)
class Symbol:
    """An ELF symbol: ``shndx`` is the section index (0 for an extern)."""

    index: int
    name: str
    value: int
    size: int
    bind: int
    type: int
    shndx: int
    hidden: bool = False  # STV_HIDDEN (__hidden): libbpf makes such global functions static

    @property
    def is_extern(self) -> bool:
        return self.shndx == SHN_UNDEF and bool(self.name)


@dataclass(frozen=True, slots=True)
class Reloc:
    """A ``.rel<sec>`` entry: at byte ``offset`` of the section, against ``symbol``."""

    offset: int
    symbol: Symbol
    type: int


@dataclass(frozen=True, slots=True)
class Function:
    """A function symbol of an executable section (bytes ``[offset, offset + size)``)."""

    name: str
    section: str
    shndx: int
    offset: int
    size: int
    bind: int
    hidden: bool = False

    @property
    def is_global(self) -> bool:
        """Global for the kernel: a non-static, non-hidden function (verified on its own)."""
        return self.bind != STB_LOCAL and not self.hidden


@dataclass
class BpfObject:
    """What :func:`read_object` found; read-only after construction."""

    path: str
    license: str
    kern_version: int
    sections: dict[int, tuple[str, bytes]]  # index -> (name, data) of code and data sections
    functions: list[Function]
    relocs: dict[int, list[Reloc]]  # code section index -> relocations
    symbols: list[Symbol]
    btf: Btf | None
    btf_ext: BtfExt | None
    text_shndx: int | None
    maps_shndx: int | None
    data_sections: dict[int, str] = field(default_factory=dict)  # index -> .data/.rodata/...
    sizes: dict[int, int] = field(default_factory=dict)  # section index -> size (.bss too)

    @property
    def programs(self) -> list[Function]:
        """Entry programs in section order, then by offset (as libbpf lists them)."""
        return [f for f in self.functions if f.shndx != self.text_shndx]

    def function_at(self, shndx: int, offset: int) -> Function | None:
        for f in self.functions:
            if f.shndx == shndx and f.offset == offset:
                return f
        return None


def read_object(path: str | Path) -> BpfObject:
    """Read a BPF object file; :class:`ObjectError` if it is not one."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    path = str(path)
    try:
        with open(path, "rb") as fh:
            return _read(path, ELFFile(fh))
    except OSError as exc:
        raise ObjectError(f"{path}: {exc.strerror}") from None
    except (ELFError, struct.error, ValueError) as exc:
        raise ObjectError(f"{path}: not a readable ELF object: {exc}") from None


def _read(path: str, elf: object) -> BpfObject:
    if elf["e_machine"] not in ("EM_BPF", EM_BPF):  # type: ignore[index]
        raise ObjectError(f"{path}: ELF machine {elf['e_machine']} is not BPF "  # type: ignore
                          f"(compile with clang -target bpf)")
    sections: dict[int, tuple[str, bytes]] = {}
    sizes: dict[int, int] = {}
    license_text, kern_version = "", 0
    btf_data = ext_data = None
    text_shndx = maps_shndx = None
    data_sections: dict[int, str] = {}
    symtab = None
    rel_sections = []
    for idx, sec in enumerate(elf.iter_sections()):  # type: ignore[attr-defined]
        name = sec.name
        stype = sec["sh_type"]
        if stype == "SHT_SYMTAB":
            symtab = sec
        elif stype == "SHT_REL":
            rel_sections.append(sec)
        elif name == "license":
            license_text = sec.data().split(b"\0", 1)[0].decode("utf-8", "replace")
        elif name == "version" and sec["sh_size"] >= 4:
            kern_version = struct.unpack_from("<I", sec.data())[0]
        elif name == ".BTF":
            btf_data = sec.data()
        elif name == ".BTF.ext":
            ext_data = sec.data()
        elif name == ".maps":
            maps_shndx = idx
            sections[idx] = (name, sec.data())
        elif stype == "SHT_PROGBITS" and sec["sh_flags"] & SHF_EXECINSTR and sec["sh_size"]:
            sections[idx] = (name, sec.data())
            if name == ".text":
                text_shndx = idx
        elif name.startswith(DATA_PREFIXES) or name in (".kconfig", ".ksyms"):
            if name.startswith(DATA_PREFIXES) and ".." not in name.lstrip("."):
                data_sections[idx] = name
            sections[idx] = (name, sec.data() if stype != "SHT_NOBITS" else b"")
        sizes[idx] = sec["sh_size"]
    if symtab is None:
        raise ObjectError(f"{path}: no symbol table (.symtab); not a BPF object libbpf opens")
    symbols = [Symbol(i, s.name, s["st_value"], s["st_size"], _bind(s), _type(s),
                      s["st_shndx"] if isinstance(s["st_shndx"], int) else 0,
                      s["st_other"]["visibility"] in ("STV_HIDDEN", "STV_INTERNAL"))
               for i, s in enumerate(symtab.iter_symbols())]
    functions = sorted((Function(s.name, sections[s.shndx][0], s.shndx, s.value, s.size, s.bind,
                                 s.hidden)
                        for s in symbols
                        if s.type == STT_FUNC and s.shndx in sections
                        and s.shndx != maps_shndx and s.shndx not in data_sections),
                       key=lambda f: (f.shndx, f.offset))
    relocs: dict[int, list[Reloc]] = {}
    for rel in rel_sections:
        target = rel["sh_info"]
        if target not in sections:
            continue
        relocs[target] = [Reloc(r["r_offset"], symbols[r["r_info_sym"]], r["r_info_type"])
                          for r in rel.iter_relocations()]
    btf = Btf.from_bytes(btf_data, f"{path} .BTF") if btf_data else None
    ext = None
    if ext_data and btf is not None:
        ext = read_btf_ext(ext_data, btf.raw.string)
    return BpfObject(path, license_text, kern_version, sections, functions, relocs, symbols,
                     btf, ext, text_shndx, maps_shndx, data_sections, sizes)


def _bind(sym: object) -> int:
    bind = sym["st_info"]["bind"]  # type: ignore[index]
    return {"STB_LOCAL": STB_LOCAL, "STB_GLOBAL": STB_GLOBAL, "STB_WEAK": STB_WEAK}.get(bind, 3)


def _type(sym: object) -> int:
    kind = sym["st_info"]["type"]  # type: ignore[index]
    return {"STT_NOTYPE": STT_NOTYPE, "STT_OBJECT": STT_OBJECT, "STT_FUNC": STT_FUNC,
            "STT_SECTION": STT_SECTION}.get(kind, 9)
