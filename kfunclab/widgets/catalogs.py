"""Catalogues the notebook changes: a kfunc with other flags or annotations, user C text.

:func:`catalog_table` turns any loaded :class:`~kfunclab.kfuncs.Catalog` back into the JSON
table ``load_catalog`` reads, with some kfuncs replaced; :func:`kfunclab.kfuncs.catalog_from_table`
makes a Catalog of it in memory, which ``verify(catalog=...)`` takes as it is (the playground and
``%%kfuncs`` write no file). :func:`write_catalog` still writes JSON or C text to a
content-addressed file, for a reader that wants a path.

>>> from kfunclab.kfuncs import KF, catalog_from_table, load_catalog
>>> cat = load_catalog("doc")
>>> pid = cat.registry.declaration("bpf_get_task_pid").with_flags(KF.ACQUIRE)
>>> changed = catalog_from_table(catalog_table(cat, [pid]), cat.profile, "changed")
>>> changed.lookup("bpf_get_task_pid", "TRACING").flags_text
'KF_ACQUIRE'
"""

from __future__ import annotations

import atexit
import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from kfunclab.errors import CatalogError
from kfunclab.kfuncs import (
    BUILTIN,
    KF,
    Annotation,
    Catalog,
    Kfunc,
    Param,
    Profile,
    load_catalog,
)

_DIR: Path | None = None
PLAYGROUND_SET = "kfunclab_playground_ids"


def _tempdir() -> Path:
    global _DIR
    if _DIR is None:
        _DIR = Path(tempfile.mkdtemp(prefix="kfunclab-catalogs-"))
        atexit.register(shutil.rmtree, _DIR, True)
    return _DIR


def write_catalog(content: dict[str, Any] | str, stem: str = "catalog") -> str:
    """Write a JSON table (dict) or C text (str) to a content-addressed file; return its path.

    The file is ``<tmp>/<hash of the content>/<stem>.json`` (or ``.h``) in a per-process
    temporary directory removed at exit; ``stem`` becomes the catalogue's name.
    """
    if isinstance(content, dict):
        text, suffix = json.dumps(content, indent=1, sort_keys=True), ".json"
    else:
        text, suffix = content, ".h"
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem) or "catalog"
    # one directory per content, so the file's stem (the catalogue's name) stays readable
    path = _tempdir() / digest / f"{safe}{suffix}"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    return str(path)


@lru_cache(maxsize=16)
def builtin_catalog(name: str) -> Catalog:
    """A built-in catalogue (cached: they are large and never change)."""
    return load_catalog(name)


def base_catalog(profile: Profile, catalog: str | Catalog | None = None) -> Catalog:
    """The catalogue a notebook view starts from: ``catalog`` (a Catalog, a built-in name or a
    .h/.c/.json path loaded under ``profile``), else ``profile``'s own catalogue."""
    prof = profile
    if isinstance(catalog, Catalog):
        return catalog
    if catalog is None or (catalog in BUILTIN and BUILTIN[catalog][1] != prof.name):
        return builtin_catalog(prof.catalog)
    if catalog in BUILTIN:
        return builtin_catalog(catalog)
    return load_catalog(catalog, prof)


def find_declaration(name: str, *catalogs: Catalog) -> Kfunc | None:
    """``name``'s declaration in the first of ``catalogs`` (then every built-in one) that has
    it, with the flags it is registered with there."""
    for cat in (*catalogs, *(builtin_catalog(n) for n in BUILTIN)):
        found = cat.registry.find(name) or cat.registry.declaration(name)
        if found is not None:
            return found
    return None


def catalog_table(catalog: Catalog, replace_kfuncs: Iterable[Kfunc] = (), *,
                  add_for: str | None = None) -> dict[str, Any]:
    """``catalog`` as the JSON table :func:`~kfunclab.kfuncs.load_catalog` reads, with the
    declarations and flags of ``replace_kfuncs`` instead of its own.

    A replacement the catalogue lacks goes into a new ID set registered for program type
    ``add_for`` (its BTF_KFUNCS/BTF_SET8 kind as the profile wants), or raises CatalogError
    when ``add_for`` is None.
    """
    new = {k.name: k for k in replace_kfuncs}
    reg = catalog.registry
    sets: dict[str, dict[str, Any]] = {}
    for r in reg.registrations:
        kset = r.id_set
        entry = sets.get(kset.name)
        if entry is None:
            entry = sets[kset.name] = {
                "name": kset.name, "kind": kset.set.kind, "register": [], "fmodret": False,
                "filter": kset.filter_name or None, "source": "", "kfuncs": [],
            }
            for kname, flags in kset.set:
                decl = new.get(kname) or reg.declaration(kname)
                row = catalog.rows.get(kname)
                entry["source"] = entry["source"] or (row.source if row else "")
                entry["kfuncs"].append({
                    "name": kname,
                    "flags": _flags(new[kname].flags if kname in new else flags),
                    "prototype": decl.prototype() if decl else (row.prototype if row else ""),
                    "present": row.present if row else True,
                    "note": row.note if row else "",
                })
        if r.prog_type is None:
            entry["fmodret"] = True
        elif r.prog_type not in entry["register"]:
            entry["register"].append(r.prog_type)
    missing = [k for k in new.values() if k.name not in catalog.rows]
    if missing:
        if add_for is None:
            names = ", ".join(k.name for k in missing)
            raise CatalogError(f"{names}: not in catalogue '{catalog.name}'; expected a kfunc "
                               "of it (or a program type to register it for)")
        kind = "kfuncs" if catalog.profile.kfunc_sets_must_be_tagged else "set8"
        sets[PLAYGROUND_SET] = {
            "name": PLAYGROUND_SET, "kind": kind, "register": [add_for], "fmodret": False,
            "filter": None, "source": "kfunclab playground",
            "kfuncs": [{"name": k.name, "flags": _flags(k.flags), "prototype": k.prototype()}
                       for k in missing],
        }
    return {
        "catalog": catalog.name + ("+changed" if new else ""),
        "kernel": catalog.kernel,
        "description": f"{catalog.description} (changed in a notebook: {', '.join(new)})",
        "sets": list(sets.values()),
    }


def _flags(flags: KF) -> str:
    return " | ".join(f.kernel_name for f in KF if f in flags) or "0"


# --- changing one kfunc ------------------------------------------------------------------------


def annotation_choices(param: Param, profile: Profile) -> tuple[Annotation, ...]:
    """The annotations that make sense on ``param`` (by its C type) and that ``profile``'s
    kernel knows, NONE first."""
    prof = profile
    t = param.ctype
    if t.is_pointer:
        fits = [a for a in Annotation if a.wants_pointer]
    else:
        fits = [a for a in Annotation if a.wants_scalar]
    fits.append(Annotation.IGNORE)
    known = [a for a in fits if a in prof.annotations]
    if param.annotation is not Annotation.NONE and param.annotation not in known:
        known.append(param.annotation)  # keep what the declaration has, even if odd
    return (Annotation.NONE, *known)


def with_annotation(param: Param, annotation: Annotation) -> Param:
    """``param`` renamed so its name carries ``annotation`` (``p`` -> ``p__k``); the two
    whole-name annotations replace the name (``rdonly_buf_size``)."""
    if annotation is param.annotation:
        return param
    if annotation.is_whole_name:
        return Param(annotation.value, param.ctype, annotation)
    base = param.base_name if not param.annotation.is_whole_name else "arg"
    return Param(base + annotation.value, param.ctype, annotation)


def modified_kfunc(kfunc: Kfunc, flags: KF,
                   annotations: dict[int, Annotation] | None = None) -> Kfunc:
    """``kfunc`` with ``flags`` and, per parameter index, another annotation."""
    params = tuple(with_annotation(p, (annotations or {}).get(i, p.annotation))
                   for i, p in enumerate(kfunc.params))
    return replace(kfunc, params=params, flags=KF(flags))
