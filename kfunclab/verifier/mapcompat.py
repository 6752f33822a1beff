"""``check_map_prog_compatibility()``: map value fields some program types may not use.

The kernel checks every map a program loads (``resolve_pseudo_ldimm64()``, before the program
is walked): tracing programs (kprobe, tracepoint, perf_event, raw_tracepoint) may not use maps
whose values hold a ``bpf_spin_lock``, a ``bpf_timer``, a ``bpf_wq`` or a graph root, and
socket filters may not use a ``bpf_spin_lock``; a sleepable program may use only some map
types. Only fields at the top level of the value are seen here; a program whose special field
is nested answers unsupported elsewhere.

>>> from kfunclab.progtypes import ProgType
>>> is_tracing_prog_type(ProgType.KPROBE), is_tracing_prog_type(ProgType.TRACING)
(True, False)
"""

from __future__ import annotations

import errno

from kfunclab.isa.insn import Imm64Kind, LoadImm64
from kfunclab.isa.program import MapDecl, MemberKind, Program
from kfunclab.progtypes import ProgType
from kfunclab.verifier import messages as msg
from kfunclab.verifier.env import Unsupported
from kfunclab.verifier.result import Diagnostic

_TRACING = frozenset({ProgType.KPROBE, ProgType.TRACEPOINT, ProgType.PERF_EVENT,
                      ProgType.RAW_TRACEPOINT, ProgType.RAW_TRACEPOINT_WRITABLE})


def is_tracing_prog_type(prog_type: ProgType) -> bool:
    """``is_tracing_prog_type()``: the program types that run in any context."""
    return prog_type in _TRACING


#: the map types check_map_prog_compatibility() lets a sleepable program use (6.18)
SLEEPABLE_MAP_TYPES = frozenset({
    "hash", "lru_hash", "array", "percpu_hash", "percpu_array", "lru_percpu_hash",
    "array_of_maps", "hash_of_maps", "ringbuf", "user_ringbuf", "inode_storage", "sk_storage",
    "task_storage", "cgrp_storage", "queue", "stack", "arena"})


def sleepable_map_refusal(decl: MapDecl, message: str | None = None) -> str | None:
    """A sleepable program's refusal of map ``decl``: the kernel's ``message`` (None:
    upstream 6.18's wording), or None where the map type is allowed.

    Where the build's wording says it checks inner maps too (a probed kernel's), a map of maps
    whose inner map is of another type raises :class:`Unsupported`: upstream source does not say
    what such a build allows.

    >>> from kfunclab.isa.program import MapDecl, TypeRef
    >>> u32 = TypeRef("u32", 4)
    >>> sleepable_map_refusal(MapDecl("jumps", "prog_array", u32, u32))
    'Sleepable programs can only use array, hash, ringbuf and local storage maps'
    """
    said = message or msg.SLEEPABLE_MAP_TYPES
    if decl.map_type not in SLEEPABLE_MAP_TYPES:
        return said
    inner = decl.inner
    if inner is not None and "inner map" in said and inner.map_type not in SLEEPABLE_MAP_TYPES:
        raise Unsupported(msg.SLEEPABLE_INNER_MAP_UNSUPPORTED.format(name=decl.name, said=said))
    return None


def _fields(decl: MapDecl) -> set[str]:
    struct = decl.value.struct
    if struct is None:
        return set()
    out = {m.type_name for m in struct.members}
    if any(m.kind is MemberKind.SPIN_LOCK for m in struct.members):
        out.add("bpf_spin_lock")
    return out


def map_prog_compatibility(decl: MapDecl, prog_type: ProgType) -> str | None:
    """The kernel's refusal of ``decl`` in a program of ``prog_type``, or None."""
    fields = _fields(decl)
    tracing = is_tracing_prog_type(prog_type)
    if tracing and fields & {"bpf_list_head", "bpf_rb_root"}:
        return msg.MAP_GRAPH_IN_TRACING
    if "bpf_spin_lock" in fields:
        if prog_type is ProgType.SOCKET_FILTER:
            return msg.SPIN_LOCK_IN_SOCKET_FILTER
        if tracing:
            return msg.SPIN_LOCK_IN_TRACING
    if tracing and "bpf_timer" in fields:
        return msg.TIMER_IN_TRACING
    if tracing and "bpf_wq" in fields:
        return msg.WQ_IN_TRACING
    return None


def check_map_prog_compatibility(program: Program, prog_type: ProgType, sleepable: bool = False,
                                 sleepable_message: str | None = None) -> Diagnostic | None:
    """``resolve_pseudo_ldimm64()``, before the walk: the first map load (in instruction
    order) whose fd names no map, or whose map the program type (or a ``sleepable`` program:
    :func:`sleepable_map_refusal`) may not use."""
    for _slot, insn in program.instructions():
        if type(insn) is not LoadImm64 or insn.kind not in (Imm64Kind.MAP_FD,
                                                             Imm64Kind.MAP_VALUE):
            continue
        decl = program.map_named(insn.map_name or "")
        if decl is None:  # processed 0 insns: refused before do_check()
            return Diagnostic(None, msg.MAP_NOT_FOUND.format(fd=insn.imm), errno=errno.EBADF)
        refusal = map_prog_compatibility(decl, prog_type)
        if refusal is None and sleepable:  # after the field checks, as the kernel's order
            refusal = sleepable_map_refusal(decl, sleepable_message)
        if refusal is not None:
            return Diagnostic(None, refusal, errno=errno.EINVAL)
    return None
