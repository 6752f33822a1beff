"""Moved to :mod:`kfunclab.verifier.rules.kptrs` (rule modules by family live in
:mod:`kfunclab.verifier.rules`); this old path re-exports its public names."""

from kfunclab.verifier.rules.kptrs import (
    RCU_PROTECTED_TYPES,
    READ,
    WRITE,
    is_referenced_kptr,
    kptr_access,
    kptr_member,
)

__all__ = [
    "RCU_PROTECTED_TYPES",
    "READ",
    "WRITE",
    "is_referenced_kptr",
    "kptr_access",
    "kptr_member",
]
