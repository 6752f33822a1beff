"""Verifier rules by family: one module per family of the kernel's checks.

``kfuncs`` (``check_kfunc_call``: state checks, release, return) and ``kfunc_args``
(``check_kfunc_args``), ``memory`` (``check_mem_access``: loads, stores, map values, stack,
context), ``kptrs`` (kptr fields of map values), ``helper_args`` (the argument kinds of helper
prototypes). A new family (packet access, locks, iterators, graph kfuncs) gets a module here;
rules take the state and the ``Env``, push branches through
:class:`~kfunclab.verifier.branching.Branches`, and never import the explorer or a view.
The old paths (``kfunclab.verifier.memory``, ``kfunclab.verifier.kfunc_calls``, ...) re-export
the public names.
"""
