"""The kernel's kfunc ID-set filters, by the C name of the filter function.

A filter hides some kfuncs of its set from some programs. Each one here answers for its own set
only (anything else stays visible), exactly as the kernel's filters are written, because the
kernel asks every filter of a hook about every kfunc looked up there.

>>> f = make_filter("bpf_fs_kfuncs_filter", ("bpf_get_file_xattr",))
>>> f(ProgContext("BPF_PROG_TYPE_LSM"), "bpf_get_file_xattr")
True
>>> f(ProgContext("BPF_PROG_TYPE_TRACING"), "bpf_get_file_xattr")
False
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from kfunclab.errors import DeclarationError
from kfunclab.kfuncs.idset import KfuncFilter, ProgContext

_Rule = Callable[[ProgContext], bool]

#: filter C name -> (rule a program must satisfy to see the set's kfuncs, where it lives).
_RULES: dict[str, tuple[_Rule, str]] = {
    # fs/bpf_fs_kfuncs.c: only BPF LSM programs (the set is registered for the TRACING hook,
    # which tracing, tracepoint and perf_event programs share with LSM).
    "bpf_fs_kfuncs_filter": (lambda p: p.prog_type == "BPF_PROG_TYPE_LSM",
                             "fs/bpf_fs_kfuncs.c"),
    # kernel/trace/bpf_trace.c: session kfuncs only in kprobe/uprobe session programs.
    "bpf_kprobe_multi_filter": (
        lambda p: p.attach_type in ("BPF_TRACE_KPROBE_SESSION", "BPF_TRACE_UPROBE_SESSION"),
        "kernel/trace/bpf_trace.c"),
    # net/core/filter.c: bpf_sock_destroy only from BPF iterators (iter/tcp, iter/udp).
    "tracing_iter_filter": (lambda p: p.attach_type == "BPF_TRACE_ITER", "net/core/filter.c"),
}

KNOWN_FILTERS: tuple[str, ...] = tuple(_RULES)


def make_filter(name: str, set_names: Collection[str]) -> KfuncFilter:
    """The filter ``name`` restricted to the kfuncs of one set (``set_names``)."""
    if not isinstance(name, str):
        raise DeclarationError(str(name), f"a filter name is {type(name).__name__}; expected "
                                          "a string")
    try:
        rule, _src = _RULES[name]
    except KeyError:
        raise DeclarationError(name, "is not a filter kfunclab can evaluate; expected one of "
                                     f"{', '.join(KNOWN_FILTERS)} (or pass filters={{name: "
                                     "callable})") from None
    members = frozenset(set_names)

    def kfunc_filter(prog: ProgContext, kfunc: str) -> bool:
        return kfunc not in members or rule(prog)

    kfunc_filter.__name__ = name
    return kfunc_filter
