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

from kfunclab.errors import CatalogError, DeclarationError, KfunclabError, ParseError
from kfunclab.kfuncs.cparser import load_c
from kfunclab.kfuncs.ctext import parse_function_text
from kfunclab.kfuncs.decl import Kfunc, from_funcdecl
from kfunclab.kfuncs.filters import make_filter
from kfunclab.kfuncs.flags import KF, parse_flags
from kfunclab.kfuncs.hooks import Hook
from kfunclab.kfuncs.idset import IdSet, KfuncIdSet, ProgContext
from kfunclab.kfuncs.profiles import DEFAULT_PROFILE, PROFILES, Profile, get_profile
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


def prototype_resolver(entries: Iterable[Any], profile: Profile = DEFAULT_PROFILE
                       ) -> PrototypeOf:
    """A ``prototype_of`` backed by BTF-style signatures.

    ``entries`` are ``(name, btf_id, ret, params)`` tuples with params ``(name, CType)`` pairs,
    or objects with those attributes (``kfunclab.btf``'s ``FuncSignature`` / ``FuncParam``):
    ``load_catalog("linux-6.18", prototype_of=prototype_resolver(load_btf().kfuncs()))`` gives
    the catalogue this kernel's parameter names and BTF ids.
    """
    prof = profile
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

    return prototype_resolver(load_btf(source).kfuncs(), get_profile(profile))


def load_catalog(name_or_path: str | Path, profile: Profile | str | None = None, *,
                 prototype_of: PrototypeOf | None = None) -> Catalog:
    """Load a built-in catalogue by name, or a C / JSON kfunc file by path.

    ``profile`` defaults to the catalogue's own (``linux-6.18`` for files). ``prototype_of``
    overrides the table's prototypes (e.g. with BTF's, which also gives BTF ids).
    """
    key = str(name_or_path)
    prof = None if profile is None else get_profile(profile)  # the one name lookup
    if key in BUILTIN:
        data_file, own = BUILTIN[key]
        if prof is not None and prof.name != own:
            raise CatalogError(f"catalogue '{key}' describes profile '{own}', not "
                               f"'{prof.name}'; expected profile={own!r} or none")
        text = resources.files("kfunclab").joinpath("data", data_file).read_text()
        return _load_text(text, data_file, prof or PROFILES[own], prototype_of, key)
    path = Path(key)
    if path.suffix not in (".h", ".c", ".json"):
        known = ", ".join(BUILTIN)
        raise CatalogError(f"unknown kfunc catalogue '{key}'; expected one of {known}, or a "
                           ".h/.c/.json file")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CatalogError(f"{key}: cannot read the kfunc file ({e.strerror})") from None
    if len(data) > MAX_CATALOG_BYTES:
        raise CatalogError(f"{key}: {len(data)} bytes; expected a kfunc file of at most "
                           f"{MAX_CATALOG_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        before = data[:e.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise ParseError(key, line, col, f"expected UTF-8 text, found byte "
                                         f"0x{data[e.start]:02x}") from None
    return _load_text(text, key, prof or DEFAULT_PROFILE, prototype_of, path.stem)


def catalog_from_c(text: str, profile: Profile, name: str, *, file: str = "<kfuncs>",
                   prototype_of: PrototypeOf | None = None) -> Catalog:
    """A catalogue from C text in memory (what :func:`load_catalog` reads from a ``.h`` file).

    >>> cat = catalog_from_c('''
    ... __bpf_kfunc void bpf_x(void) {}
    ... BTF_KFUNCS_START(ids)
    ... BTF_ID_FLAGS(func, bpf_x)
    ... BTF_KFUNCS_END(ids)
    ... static const struct btf_kfunc_id_set s = { .owner = THIS_MODULE, .set = &ids };
    ... register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &s);
    ... ''', DEFAULT_PROFILE, "mine")
    >>> cat.lookup("bpf_x", "BPF_PROG_TYPE_XDP").name
    'bpf_x'
    """
    if file.endswith(".json"):
        raise CatalogError(f"{file}: expected C text; a JSON table goes to catalog_from_table")
    return _load_text(text, file, profile, prototype_of, name)


def catalog_from_table(table: Mapping[str, Any], profile: Profile, name: str, *,
                       prototype_of: PrototypeOf | None = None) -> Catalog:
    """A catalogue from a table in memory, the shape :func:`load_catalog` reads from a
    ``.json`` file (e.g. :func:`kfunclab.widgets.catalogs.catalog_table`'s): no file is written.

    >>> cat = load_catalog("linux-6.18")
    >>> from kfunclab.widgets.catalogs import catalog_table
    >>> len(catalog_from_table(catalog_table(cat), cat.profile, "copy")) == len(cat)
    True
    """
    file = f"<{name}>"
    # the same round trip a file takes: tuples become lists, as check_table expects
    plain = json.loads(json.dumps(table))
    check_table(plain, file)
    return _from_table(plain, file, profile, prototype_of, name)


def _load_text(text: str, file: str, prof: Profile, prototype_of: PrototypeOf | None,
               name: str) -> Catalog:
    if file.endswith(".json"):
        try:
            table = json.loads(text)
        except json.JSONDecodeError as e:
            raise CatalogError(f"{file}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from None
        except RecursionError:
            raise CatalogError(f"{file}: JSON nested too deeply; expected a kfunc table (an "
                               "object of sets of rows, a few levels deep)") from None
        check_table(table, file)
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


#: Our own limit on a kfunc file given by path (the 6.18 table is about 0.3 MB).
MAX_CATALOG_BYTES = 64 * 1024 * 1024

_STR, _BOOL, _LIST, _OBJ = "a string", "true or false", "a list", "an object"
#: field -> (Python type, what a message calls it, required) for the table, a set and a row
_TABLE_FIELDS = {"catalog": (str, _STR, False), "kernel": (str, _STR, False),
                 "description": (str, _STR, False), "license": (str, _STR, False),
                 "base": (str, _STR, False), "drop_flags": (list, _LIST, False),
                 "sources": (dict, _OBJ, False), "sets": (list, _LIST, False)}
_SET_FIELDS = {"name": (str, _STR, True), "source": (str, _STR, True),
               "kind": (str, _STR, False), "register": (list, _LIST, True),
               "fmodret": (bool, _BOOL, False), "filter": ((str, type(None)), "a string or null",
                                                           False),
               "note": (str, _STR, False), "kfuncs": (list, _LIST, True)}
_ROW_FIELDS = {"name": (str, _STR, True), "flags": (str, _STR, True),
               "prototype": (str, _STR, True), "present": (bool, _BOOL, False),
               "note": (str, _STR, False)}


def _check_fields(value: object, fields: Mapping[str, tuple[Any, str, bool]], where: str,
                  file: str) -> None:
    if not isinstance(value, dict):
        raise CatalogError(f"{file}: {where} is {_json_kind(value)}; expected an object")
    for key, (kind, what, required) in fields.items():
        if key not in value:
            if required:
                raise CatalogError(f"{file}: {where} lacks the field \"{key}\" ({what})")
            continue
        if not isinstance(value[key], kind):
            raise CatalogError(f"{file}: {where}: field \"{key}\" is "
                               f"{_json_kind(value[key])}; expected {what}")


def _json_kind(value: object) -> str:
    names = {str: "a string", bool: "a boolean", int: "a number", float: "a number",
             list: "a list", dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _check_strings(items: list[Any], where: str, file: str) -> None:
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise CatalogError(f"{file}: {where}[{i}] is {_json_kind(item)}; expected a string")


def check_table(table: object, file: str = "<table>") -> None:
    """Raise :class:`CatalogError` naming the field unless ``table`` has the catalogue's shape:
    the type of every field, strings where strings belong (a string is never read as a list).

    >>> check_table({"sets": [{"name": "s", "source": "f.c", "register": "XDP", "kfuncs": []}]})
    Traceback (most recent call last):
    ...
    kfunclab.errors.CatalogError: <table>: sets[0]: field "register" is a string; expected a list
    """
    _check_fields(table, _TABLE_FIELDS, "the top level", file)
    assert isinstance(table, dict)
    if "sets" not in table and "base" not in table:
        raise CatalogError(f"{file}: the top level lacks the field \"sets\" (a list of ID sets)")
    _check_strings(table.get("drop_flags", []), "drop_flags", file)
    for key, value in table.get("sources", {}).items():
        if not isinstance(value, str):
            raise CatalogError(f"{file}: sources.{key} is {_json_kind(value)}; expected a string")
    for i, s in enumerate(table.get("sets", [])):
        where = f"sets[{i}]"
        _check_fields(s, _SET_FIELDS, where, file)
        where = f"{where} ({s['name']})"
        _check_strings(s["register"], f"{where}.register", file)
        for j, row in enumerate(s["kfuncs"]):
            _check_fields(row, _ROW_FIELDS, f"{where}.kfuncs[{j}]", file)


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
