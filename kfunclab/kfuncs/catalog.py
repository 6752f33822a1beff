"""kfunc catalogues: versioned tables saying which kfuncs a kernel has, with which flags, for
which program types.

Built-in catalogues (in ``kfunclab/data``):

- ``doc`` -- the kfuncs of the seed doc, written as C (``doc-kfuncs.h``) and read by
  :func:`~kfunclab.kfuncs.cparser.load_c`, profile ``doc``;
- ``linux-6.18`` -- the real kfuncs of 6.18 (``catalog-linux-6.18.json``, one row per kfunc:
  ID set, flags, registrations, source file, prototype text from this kernel's BTF);
- ``linux-7.0`` -- the 6.18 table with the changes ``catalog-linux-7.0.json`` lists
  (KF_TRUSTED_ARGS dropped) under the ``linux-7.0`` profile.

A path instead of a name loads a C file (``.h``/``.c``, e.g. from ``--kfuncs FILE.h``) or a JSON
table of the same shape.

>>> cat = load_catalog("linux-6.18")
>>> cat.lookup("bpf_task_acquire", "BPF_PROG_TYPE_TRACING").flags_text
'KF_ACQUIRE | KF_RET_NULL | KF_RCU'
>>> cat.lookup("bpf_task_acquire", "BPF_PROG_TYPE_SOCKET_FILTER") is None
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from kfunclab.errors import CatalogError, DeclarationError, KfunclabError
from kfunclab.kfuncs.cparser import load_c
from kfunclab.kfuncs.ctext import parse_function_text
from kfunclab.kfuncs.decl import Kfunc, from_funcdecl
from kfunclab.kfuncs.filters import make_filter
from kfunclab.kfuncs.flags import KF, parse_flags
from kfunclab.kfuncs.hooks import Hook
from kfunclab.kfuncs.idset import IdSet, KfuncIdSet, ProgContext
from kfunclab.kfuncs.profiles import Profile, get_profile
from kfunclab.kfuncs.registry import PrototypeOf, Registry

#: built-in catalogue name -> (data file, profile name)
BUILTIN: dict[str, tuple[str, str]] = {
    "doc": ("doc-kfuncs.h", "doc"),
    "linux-6.18": ("catalog-linux-6.18.json", "linux-6.18"),
    "linux-7.0": ("catalog-linux-7.0.json", "linux-7.0"),
}


@dataclass(frozen=True)
class CatalogRow:
    """One kfunc of a catalogue, as the table (or the C text) says it."""

    name: str
    flags: KF
    id_set: str
    source: str  # the file with its BTF_ID_FLAGS line
    prog_types: tuple[str, ...]  # register_btf_kfunc_id_set() program types ("fmod_ret" too)
    hooks: tuple[Hook, ...]
    prototype: str
    present: bool = True  # False: modelled from source, not in the described kernel's BTF
    note: str = ""
    filter: str = ""


@dataclass
class Catalog:
    """A loaded catalogue: kfuncs, the registry of their registrations, and the table rows."""

    name: str
    kernel: str
    description: str
    profile: Profile
    registry: Registry
    rows: dict[str, CatalogRow]
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def kfuncs(self) -> dict[str, Kfunc]:
        """Every registered kfunc, by name (flags of its first registration)."""
        found = {n: self.registry.find(n) for n in self.rows}
        return {n: k for n, k in found.items() if k is not None}

    def lookup(self, name: str, prog: str | ProgContext) -> Kfunc | None:
        """:meth:`Registry.lookup`: the kfunc as ``prog`` sees it, or None (not allowed)."""
        return self.registry.lookup(name, prog)

    def __contains__(self, name: object) -> bool:
        return name in self.rows

    def __iter__(self) -> Iterator[CatalogRow]:
        return iter(self.rows.values())

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"<Catalog {self.name} ({self.profile.name}): {len(self.rows)} kfuncs>"


def prototype_resolver(entries: Iterable[Any], profile: Profile | str | None = None
                       ) -> PrototypeOf:
    """A ``prototype_of`` backed by BTF-style signatures.

    ``entries`` are ``(name, btf_id, ret, params)`` tuples with params ``(name, CType)`` pairs,
    or objects with those attributes (``kfunclab.btf``'s ``FuncSignature`` / ``FuncParam``):
    ``load_catalog("linux-6.18", prototype_of=prototype_resolver(load_btf().kfuncs()))`` gives
    the catalogue this kernel's parameter names and BTF ids.
    """
    prof = get_profile(profile)
    table: dict[str, Kfunc] = {}
    for entry in entries:
        if isinstance(entry, tuple):
            name, btf_id, ret, params = entry
        else:
            name, btf_id, ret, params = entry.name, entry.btf_id, entry.ret, entry.params
        pairs = [p if isinstance(p, tuple) else (p.name, p.ctype) for p in params]
        table[name] = Kfunc.build(name, pairs, ret, KF(0), profile=prof, btf_id=btf_id,
                                  source="BTF")
    return table.get


def btf_prototypes(source: str = "auto", profile: Profile | str | None = None) -> PrototypeOf:
    """:func:`prototype_resolver` over ``kfunclab.btf.load_btf(source).kfuncs()``."""
    from kfunclab.btf import load_btf  # sibling layer, imported only when asked for

    return prototype_resolver(load_btf(source).kfuncs(), profile)


def load_catalog(name_or_path: str | Path, profile: Profile | str | None = None, *,
                 prototype_of: PrototypeOf | None = None) -> Catalog:
    """Load a built-in catalogue by name, or a C / JSON kfunc file by path.

    ``profile`` defaults to the catalogue's own (``linux-6.18`` for files). ``prototype_of``
    overrides the table's prototypes (e.g. with BTF's, which also gives BTF ids).
    """
    key = str(name_or_path)
    if key in BUILTIN:
        data_file, own = BUILTIN[key]
        if profile is not None and get_profile(profile).name != own:
            raise CatalogError(f"catalogue '{key}' describes profile '{own}', not "
                               f"'{get_profile(profile).name}'; expected profile={own!r} or none")
        text = resources.files("kfunclab").joinpath("data", data_file).read_text()
        return _load_text(text, data_file, get_profile(own), prototype_of, key)
    path = Path(key)
    if path.suffix not in (".h", ".c", ".json"):
        known = ", ".join(BUILTIN)
        raise CatalogError(f"unknown kfunc catalogue '{key}'; expected one of {known}, or a "
                           ".h/.c/.json file")
    try:
        text = path.read_text()
    except OSError as e:
        raise CatalogError(f"{key}: cannot read the kfunc file ({e.strerror})") from None
    return _load_text(text, key, get_profile(profile), prototype_of, path.stem)


def _load_text(text: str, file: str, prof: Profile, prototype_of: PrototypeOf | None,
               name: str) -> Catalog:
    if file.endswith(".json"):
        try:
            table = json.loads(text)
        except json.JSONDecodeError as e:
            raise CatalogError(f"{file}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from None
        return _from_table(table, file, prof, prototype_of, name)
    _kfuncs, registry = load_c(text, prof, prototype_of=prototype_of, file=file)
    return Catalog(name, prof.kernel, f"kfuncs of {file}", prof, registry,
                   _rows_of_registry(registry))


def _rows_of_registry(registry: Registry) -> dict[str, CatalogRow]:
    rows: dict[str, CatalogRow] = {}
    for reg in registry.registrations:
        for kname, flags in reg.id_set.set:
            if kname in rows:
                old = rows[kname]
                rows[kname] = CatalogRow(kname, old.flags, old.id_set, old.source,
                                         (*old.prog_types, reg.prog_type or "fmod_ret"),
                                         tuple(dict.fromkeys((*old.hooks, reg.hook))),
                                         old.prototype, filter=old.filter)
                continue
            k = registry.find(kname)
            rows[kname] = CatalogRow(kname, flags, reg.id_set.name, k.source if k else "",
                                     (reg.prog_type or "fmod_ret",), (reg.hook,),
                                     k.prototype() if k else "", filter=reg.id_set.filter_name)
    return rows


def _base_table(table: Mapping[str, Any], file: str) -> tuple[Mapping[str, Any], KF]:
    """Resolve ``"base"``: a table derived from another built-in one minus some flags."""
    if "base" not in table:
        return table, KF(0)
    base = str(table["base"])
    if base not in BUILTIN or not BUILTIN[base][0].endswith(".json"):
        raise CatalogError(f"{file}: base catalogue '{base}' is not a built-in JSON table")
    text = resources.files("kfunclab").joinpath("data", BUILTIN[base][0]).read_text()
    drop = parse_flags(" | ".join(table.get("drop_flags", [])), file)
    merged = {**json.loads(text), **{k: v for k, v in table.items() if k != "base"}}
    return merged, drop


def _from_table(table: Mapping[str, Any], file: str, prof: Profile,
                prototype_of: PrototypeOf | None, name: str) -> Catalog:
    table, drop = _base_table(table, file)
    registry = Registry(prof, prototype_of)
    rows: dict[str, CatalogRow] = {}
    try:
        for s in table["sets"]:
            _load_set(s, file, prof, drop, prototype_of, registry, rows)
    except KeyError as e:
        raise CatalogError(f"{file}: a set or row lacks the field {e}; expected name, source, "
                           "kind, register and kfuncs (name, flags, prototype)") from None
    except DeclarationError:
        raise
    except KfunclabError as e:
        raise CatalogError(f"{file}: {e}") from None
    return Catalog(str(table.get("catalog", name)), str(table.get("kernel", prof.kernel)),
                   str(table.get("description", "")), prof, registry, rows,
                   dict(table.get("sources", {})))


def _load_set(s: Mapping[str, Any], file: str, prof: Profile, drop: KF,
              prototype_of: PrototypeOf | None, registry: Registry,
              rows: dict[str, CatalogRow]) -> None:
    entries, kfuncs = [], {}
    for row in s["kfuncs"]:
        kname = row["name"]
        flags = parse_flags(row["flags"], kname) & ~drop
        decl = prototype_of(kname) if prototype_of is not None else None
        if decl is None:
            fd = parse_function_text(row["prototype"], f"{file}:{kname}")
            decl = from_funcdecl(fd, flags, prof, source=f"{s['source']} ({file})")
        entries.append((kname, flags))
        kfuncs[kname] = decl.with_flags(flags)
    idset = IdSet(s["name"], tuple(entries), s.get("kind", "kfuncs"))
    flt = make_filter(s["filter"], idset.names) if s.get("filter") else None
    kset = KfuncIdSet("THIS_MODULE", idset, flt, s.get("filter") or "")
    hooks: list[Hook] = []
    if s.get("fmodret"):
        hooks.append(registry.register_fmodret(kset, kfuncs))
    for ptype in s["register"]:
        hooks.append(registry.register(ptype, kset, kfuncs))
    ptypes = tuple(s["register"]) + (("fmod_ret",) if s.get("fmodret") else ())
    for row, (kname, flags) in zip(s["kfuncs"], entries, strict=True):
        if kname in rows:
            raise CatalogError(f"{file}: {kname} appears in two sets ({rows[kname].id_set} and "
                               f"{s['name']}); expected one row per kfunc")
        rows[kname] = CatalogRow(kname, flags, s["name"], s["source"], ptypes,
                                 tuple(dict.fromkeys(hooks)), row["prototype"],
                                 bool(row.get("present", True)), str(row.get("note", "")),
                                 s.get("filter") or "")
