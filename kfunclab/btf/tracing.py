"""Arguments of attach targets: ``tp_btf/<tp>`` tracepoints and ``fentry/<fn>`` functions.

A BTF-enabled tracepoint ``<tp>`` is described by ``typedef void (*btf_trace_<tp>)(void *, ...)``
in vmlinux BTF (libbpf looks it up by that name); the leading ``void *`` is the tracepoint's
private data, not a program argument, so it is dropped here. An fentry/fexit target is a FUNC.

>>> from kfunclab.btf.builder import BtfBuilder
>>> from kfunclab.btf.model import Btf
>>> b = BtfBuilder()
>>> task = b.add_struct("task_struct", 8, [])
>>> proto = b.add_func_proto(0, [("", b.add_ptr(0)), ("", b.add_ptr(task))])
>>> _ = b.add_typedef("btf_trace_task_newtask", b.add_ptr(proto))
>>> [t.spelling() for t in tracepoint_args(Btf.from_bytes(b.build()), "task_newtask")]
['struct task_struct *']
"""

from __future__ import annotations

from difflib import get_close_matches

from kfunclab.btf.model import Btf, FuncParam
from kfunclab.btf.types import BtfKind, FuncProto, Ptr
from kfunclab.ctype import CType
from kfunclab.errors import BtfError

TRACE_PREFIX = "btf_trace_"


def tracepoint_params(btf: Btf, tp_name: str) -> tuple[FuncParam, ...]:
    """Parameters of tracepoint ``tp_name`` (without the leading ``void *``), with type ids."""
    ids = btf.find(TRACE_PREFIX + tp_name, BtfKind.TYPEDEF)
    if not ids:
        raise BtfError(f"no tracepoint {tp_name!r} in the {btf.origin} (typedef "
                       f"{TRACE_PREFIX}{tp_name} not found){_suggest(btf, tp_name)}")
    ptr = btf.type_by_id(btf.skip_modifiers(ids[0]))
    proto = btf.type_by_id(btf.skip_modifiers(ptr.type)) if isinstance(ptr, Ptr) else None
    if not isinstance(proto, FuncProto) or not proto.params:
        raise BtfError(f"typedef {TRACE_PREFIX}{tp_name} (id {ids[0]}) is not a pointer to a "
                       f"FUNC_PROTO with a leading void * parameter")
    return tuple(FuncParam(p.name, btf.to_ctype(p.type), p.type) for p in proto.params[1:])


def tracepoint_args(btf: Btf, tp_name: str) -> tuple[CType, ...]:
    """The C types a ``tp_btf/<tp_name>`` program finds at ``ctx[0]``, ``ctx[1]``, ..."""
    return tuple(p.ctype for p in tracepoint_params(btf, tp_name))


def func_params(btf: Btf, fn: str) -> tuple[FuncParam, ...]:
    """Parameters of kernel function ``fn`` (an fentry/fexit/fmod_ret target), with type ids."""
    if not btf.find(fn, BtfKind.FUNC):
        raise BtfError(f"no kernel function {fn!r} (FUNC) in the {btf.origin}")
    return btf.func_proto(fn).params


def func_args(btf: Btf, fn: str) -> tuple[CType, ...]:
    """The C types of ``fn``'s arguments, as an ``fentry/<fn>`` program sees them in ctx."""
    return tuple(p.ctype for p in func_params(btf, fn))


def tracepoint_names(btf: Btf) -> tuple[str, ...]:
    """Every tracepoint with a ``btf_trace_`` typedef, sorted."""
    names = (btf.raw.name(tid) for tid in btf.raw.ids_of_kind(BtfKind.TYPEDEF))
    return tuple(sorted(n[len(TRACE_PREFIX):] for n in names if n.startswith(TRACE_PREFIX)))


def _suggest(btf: Btf, tp_name: str) -> str:
    close = get_close_matches(tp_name, tracepoint_names(btf), n=3, cutoff=0.7)
    return f"; did you mean: {', '.join(close)}?" if close else ""
