"""Moved to :mod:`kfunclab.verifier.rules.kfuncs` (rule modules by family live in
:mod:`kfunclab.verifier.rules`); this old path re-exports its public names."""

from kfunclab.verifier.rules.kfuncs import (
    check_kfunc_call,
)

__all__ = [
    "check_kfunc_call",
]
