"""Moved to :mod:`kfunclab.verifier.rules.memory` (rule modules by family live in
:mod:`kfunclab.verifier.rules`); this old path re-exports its public names."""

from kfunclab.verifier.rules.memory import (
    BPF_F_RDONLY_PROG,
    BPF_MAX_VAR_OFF,
    PKT_WRITERS,
    check_atomic,
    check_helper_mem_access,
    check_load,
    check_mem_access,
    check_store,
)

__all__ = [
    "BPF_F_RDONLY_PROG",
    "BPF_MAX_VAR_OFF",
    "PKT_WRITERS",
    "check_atomic",
    "check_helper_mem_access",
    "check_load",
    "check_mem_access",
    "check_store",
]
