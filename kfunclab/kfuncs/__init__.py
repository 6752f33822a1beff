"""The kfunc model: flags, declarations, ID sets, the registry, C text, profiles, catalogues.

>>> from kfunclab.kfuncs import KF, Kfunc, load_catalog
>>> cat = load_catalog("linux-6.18")
>>> k = cat.lookup("bpf_task_from_pid", "BPF_PROG_TYPE_SYSCALL")
>>> k.prototype(), KF.ACQUIRE in k.flags
('struct task_struct *bpf_task_from_pid(s32 pid)', True)
"""

from kfunclab.kfuncs.annotations import ALL_ANNOTATIONS, Annotation, annotation_of
from kfunclab.kfuncs.catalog import (
    BUILTIN,
    Catalog,
    CatalogRow,
    catalog_from_c,
    catalog_from_table,
    load_catalog,
    prototype_resolver,
)
from kfunclab.kfuncs.cparser import LoadedC, load_c
from kfunclab.kfuncs.decl import Kfunc, Param
from kfunclab.kfuncs.filters import KNOWN_FILTERS, make_filter
from kfunclab.kfuncs.flags import KF, format_flags, parse_flags
from kfunclab.kfuncs.hooks import PROG_TYPES, Hook, canonical_prog_type
from kfunclab.kfuncs.idset import IdSet, KfuncFilter, KfuncIdSet, ProgContext
from kfunclab.kfuncs.profiles import PROFILES, Profile, get_profile
from kfunclab.kfuncs.registry import PrototypeOf, Registration, Registry
from kfunclab.kfuncs.validate import validate_kfunc

__all__ = [
    "ALL_ANNOTATIONS",
    "BUILTIN",
    "KF",
    "KNOWN_FILTERS",
    "PROFILES",
    "PROG_TYPES",
    "Annotation",
    "Catalog",
    "CatalogRow",
    "Hook",
    "IdSet",
    "Kfunc",
    "KfuncFilter",
    "KfuncIdSet",
    "LoadedC",
    "Param",
    "Profile",
    "ProgContext",
    "PrototypeOf",
    "Registration",
    "Registry",
    "annotation_of",
    "canonical_prog_type",
    "catalog_from_c",
    "catalog_from_table",
    "format_flags",
    "get_profile",
    "load_c",
    "load_catalog",
    "make_filter",
    "parse_flags",
    "prototype_resolver",
    "validate_kfunc",
]
