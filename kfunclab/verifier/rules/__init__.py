"""Verifier rules by family: one module per family of the kernel's checks.

- ``helpers``: ``check_helper_call`` (which helpers a program may call; map, ring buffer,
  ``bpf_kptr_xchg`` and spin lock helpers), with ``helper_args`` (helper argument kinds);
- ``kfuncs``: ``check_kfunc_call`` (state checks, release, return), with ``kfunc_args``
  (``check_kfunc_args``);
- ``memory``: ``check_mem_access`` (loads, stores, map values, stack, context), with ``kptrs``
  (kptr fields of map values).

A new family (packet access, locks, iterators, graph kfuncs) gets a module here. Rules take the
state and the ``Env``, push branches through :class:`~kfunclab.verifier.branching.Branches`, and
never import the explorer or a view. The old paths (``kfunclab.verifier.memory``,
``kfunclab.verifier.kfunc_calls``, ...) re-export the public names.
"""
