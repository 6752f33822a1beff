"""Moved to :mod:`kfunclab.verifier.rules.kfunc_args` (rule modules by family live in
:mod:`kfunclab.verifier.rules`); this old path re-exports its public names."""

from kfunclab.verifier.rules.kfunc_args import (
    KfuncMeta,
    check_kfunc_args,
)

__all__ = [
    "KfuncMeta",
    "check_kfunc_args",
]
