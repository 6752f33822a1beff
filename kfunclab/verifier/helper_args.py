"""Moved to :mod:`kfunclab.verifier.rules.helper_args` (rule modules by family live in
:mod:`kfunclab.verifier.rules`); this old path re-exports its public names."""

from kfunclab.verifier.rules.helper_args import (
    clobber_caller_saved,
    const_size,
    int_return,
    mem_arg,
)

__all__ = [
    "clobber_caller_saved",
    "const_size",
    "int_return",
    "mem_arg",
]
